#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/model.hpp"
#include "core/node_shell.hpp"
#include "core/observer.hpp"
#include "core/provider.hpp"
#include "core/store.hpp"

namespace core {

struct CreateRequest {
    std::string type;
    int nodes = 1;
    std::vector<std::string> public_keys;  // OpenSSH public key lines, at least one
    std::optional<std::string> name;       // given: checked even when empty
    std::string provider;  // backend name; empty = the profile's or the config's default
    std::string profile;
    std::string region;
    std::string container;
    std::string group;  // "category:group"
    std::map<std::string, std::string> labels;
    std::optional<std::chrono::seconds> ttl;
    bool wait = true;
    std::chrono::seconds timeout{600};
};

// Which backend, with which settings: a profile, or a provider's [providers.NAME] table.
struct Target {
    std::string provider;
    std::string profile;
    Settings settings;
};

// Where the engine meets time and the nodes; tests put fakes here. Left empty: the machine's
// clocks, and ssh.
struct EngineSeams {
    Clock* clock = nullptr;
    NodeShell* shell = nullptr;
};

// The operations on clusters. The engine drives a Provider, owns the lifecycle (every state
// change goes through Store::transition, which checks the table), writes events, and reports
// progress through the Observer. It never prints.
class Engine {
  public:
    static constexpr int k_max_nodes = 256;

    Engine(Store& store, const Config& config, Paths paths, Observer& observer,
           EngineSeams seams = {});
    ~Engine();

    // argv prefix that runs the TTL watchdog; the cluster id is appended. Empty: no watchdog
    // process (expiry is then enforced whenever a refresh runs).
    void set_watchdog_command(std::vector<std::string> argv);

    Target target(const std::string& provider, const std::string& profile) const;
    std::vector<InstanceType> types(const Target& target);

    // Validates a request and returns the cluster it would create, without creating anything.
    Cluster plan(const CreateRequest& request);
    Cluster create(const CreateRequest& request);

    // Looks at the provider once and moves every instance as far as the facts allow.
    Cluster refresh(const std::string& cluster_id);
    // Refreshes every cluster not ended (of one provider, when named), with one look per
    // provider account where the provider can list them all at once. Instances a provider runs
    // under grid's names that the store does not know are recorded as FAILED clusters, so that
    // they are seen and can be destroyed; their ids are returned. Problems with one account or
    // cluster are warnings, not errors.
    std::vector<std::string> refresh_all(const std::string& provider = {});
    // An empty store next to instances on this machine (a lost or emptied store) is an error
    // that says so and how to recover, never "no clusters". Asks only providers whose
    // instances are on this machine; costs nothing when the store has clusters.
    void check_store_not_lost();
    Cluster destroy(const std::string& cluster_id, EndReason reason, const std::string& detail,
                    bool wait);
    // All or nothing: every cluster must have ended (DESTROYED or FAILED with nothing live).
    void archive(const std::vector<std::string>& cluster_ids);

    // CLUSTER as users type it: an id, a name, or a unique id prefix.
    std::string resolve_cluster(const std::string& text, bool include_archived = false) const;
    // INSTANCE|CLUSTER: "{cluster}-0", "{cluster}-jumphost", or a cluster (its entry node).
    std::pair<Cluster, Instance> resolve_instance(const std::string& text) const;
    Cluster load(const std::string& cluster_id) const;

    // Sleeps until the cluster's TTL runs out, then destroys it. Returns early once the
    // cluster has ended or another watchdog has taken over.
    void run_watchdog(const std::string& cluster_id);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace core
