#pragma once

// Instances a provider runs under grid's names that the store does not know: left by a lost
// store, another machine's grid, or a launch whose reply never arrived. They cost money, so a
// refresh records them where they can be seen and destroyed.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/provider.hpp"

namespace core {

struct Adoption {
    // A launch of a cluster the store has, recorded without its provider id: the id goes there.
    struct Found {
        std::string instance_id;
        std::string provider_id;
    };
    std::vector<Found> found;
    // New cluster records, one per cluster name found, instances PENDING with their provider ids
    // and addresses. The cluster keeps its id from the names unless the store already uses it.
    std::vector<Cluster> clusters;
};

struct AdoptionInput {
    std::string provider;
    std::string profile;
    std::set<std::string> known_provider_ids;  // of every cluster not archived
    // The store's cluster under this id, archived ones included; nullptr when none.
    std::function<const Cluster*(const std::string& id)> find;
    std::function<std::string()> new_id;
    std::function<std::optional<InstanceType>(const std::string& provider_type)> type_of;
    std::int64_t now = 0;
};

Adoption plan_adoption(const std::vector<Provider::Discovered>& listed, const AdoptionInput& in);

}  // namespace core
