#include "core/adoption.hpp"

#include <algorithm>
#include <map>

namespace core {

namespace {

using Group = std::vector<const Provider::Discovered*>;

Cluster make_cluster(const std::string& listed_id, Group members, bool keep_id,
                     const AdoptionInput& in) {
    Cluster c;
    // A machine under an id the store already uses (a duplicate launch, or an archived
    // cluster's id) gets an id of its own, and a name that tells where it was found.
    c.id = keep_id ? listed_id : in.new_id();
    if (!keep_id) c.name = "found-" + listed_id;
    c.provider = in.provider;
    c.profile = in.profile;
    c.created_at = in.now;
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) {
        const auto x = parse_instance_name(a->name), y = parse_instance_name(b->name);
        return std::make_pair(x->role != Role::Jumphost, x->index) <
               std::make_pair(y->role != Role::Jumphost, y->index);
    });
    int workers = 0;
    for (const auto* d : members) {
        const auto name = parse_instance_name(d->name);
        Instance i;
        i.id = instance_name(c.id, name->role, name->index);
        i.cluster_id = c.id;
        i.role = name->role;
        i.index = name->index;
        i.state = State::Pending;
        i.provider_id = d->provider_id;
        i.public_ip = d->observation.public_ip;
        i.private_ip = d->observation.private_ip;
        i.ssh_port = d->observation.ssh_port;
        i.ssh_user = d->observation.ssh_user;
        i.host_key = d->observation.host_key;
        if (c.region.empty()) c.region = d->region;
        if (i.role == Role::Worker) {
            ++workers;
            const auto type = in.type_of ? in.type_of(d->type) : std::nullopt;
            c.type = type ? type->name : d->type;
            if (type) {
                i.gpu_model = type->gpu_model;
                i.gpu_count = type->gpu_count;
            }
        }
        c.instances.push_back(std::move(i));
    }
    if (c.type.empty()) c.type = members.front()->type;  // a jumphost alone
    // The shape as found: a jumphost means a multi-node cluster, even with its workers gone.
    const bool jumphost = c.instances.front().role == Role::Jumphost;
    c.nodes = std::max(workers, jumphost ? 2 : 1);
    c.topology = jumphost ? Topology::Jumphost : Topology::Single;
    return c;
}

}  // namespace

Adoption plan_adoption(const std::vector<Provider::Discovered>& listed, const AdoptionInput& in) {
    Adoption out;
    // By cluster id; a name listed twice (a duplicate launch) starts a second group, so that
    // every machine gets a record of its own.
    std::map<std::string, std::vector<Group>> groups;
    for (const auto& d : listed) {
        if (in.known_provider_ids.count(d.provider_id)) continue;
        if (d.observation.state == ProviderState::Terminated) continue;  // costs nothing
        const auto name = parse_instance_name(d.name);
        if (!name || !is_cluster_id(name->cluster)) continue;
        if (const Cluster* c = in.find(name->cluster); c && !c->archived) {
            const auto i = std::find_if(c->instances.begin(), c->instances.end(),
                                        [&](const Instance& x) { return x.id == d.name; });
            // Launched for a record that never got its id: the same machine, not a stranger.
            if (i != c->instances.end() && i->provider_id.empty() && i->state != State::Destroyed) {
                out.found.push_back({i->id, d.provider_id});
                continue;
            }
        }
        auto& list = groups[name->cluster];
        const auto free = std::find_if(list.begin(), list.end(), [&](const Group& g) {
            return std::none_of(g.begin(), g.end(), [&](auto* x) { return x->name == d.name; });
        });
        if (free == list.end())
            list.push_back({&d});
        else
            free->push_back(&d);
    }

    for (const auto& [listed_id, list] : groups)
        for (std::size_t n = 0; n < list.size(); ++n)
            out.clusters.push_back(
                make_cluster(listed_id, list[n], n == 0 && !in.find(listed_id), in));
    return out;
}

}  // namespace core
