// resolve: CLUSTER and INSTANCE as users type them.

#include <algorithm>

#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"

namespace core {

std::string Engine::resolve_cluster(const std::string& text, bool include_archived) const {
    if (text.empty()) throw Error(ErrorKind::Usage, "empty cluster id");
    Store& s = m_impl->store;
    if (s.find_cluster(text)) return text;
    auto ambiguous = [&](const std::vector<std::string>& ids, const char* what) {
        std::string list;
        for (const auto& id : ids)
            list += (list.empty() ? "" : ", ") + id;
        return Error(ErrorKind::Usage, "'" + text + "' " + what + " several clusters: " + list,
                     "use the full id");
    };
    auto named = s.ids_with_name(text, include_archived);
    if (named.size() > 1) {
        // A name is reused once its cluster has ended: the one still alive is meant.
        std::vector<std::string> live;
        for (const auto& id : named) {
            const auto c = s.find_cluster(id);
            if (c && std::any_of(c->instances.begin(), c->instances.end(),
                                 [](const Instance& i) { return is_live(i.state); }))
                live.push_back(id);
        }
        if (live.size() == 1) return live.front();
        throw ambiguous(live.empty() ? named : live, "names");
    }
    if (named.size() == 1) return named.front();
    auto prefixed = s.ids_with_prefix(text, include_archived);
    if (prefixed.size() == 1) return prefixed.front();
    if (prefixed.size() > 1) throw ambiguous(prefixed, "starts");
    throw Error(ErrorKind::NotFound, "no cluster '" + text + "'",
                "list clusters with: grid cluster list --all");
}

std::pair<Cluster, Instance> Engine::resolve_instance(const std::string& text) const {
    try {
        const Cluster c = load(resolve_cluster(text));
        const Instance* entry = entry_node(c);
        if (!entry) throw Error(ErrorKind::NotFound, "cluster " + c.id + " has no instances");
        return {c, *entry};
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::NotFound) throw;
    }
    const auto parsed = parse_instance_name(text);
    if (parsed) {
        std::string cluster_id;
        try {
            cluster_id = resolve_cluster(parsed->cluster);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::NotFound) throw;
        }
        if (!cluster_id.empty()) {
            const Cluster c = load(cluster_id);
            for (const auto& i : c.instances)
                if (i.role == parsed->role &&
                    (parsed->role == Role::Jumphost || i.index == parsed->index))
                    return {c, i};
            throw Error(ErrorKind::NotFound, "cluster " + c.id + " has no instance " + text,
                        "see its instances with: grid cluster info " + c.id);
        }
    }
    throw Error(ErrorKind::NotFound, "no instance or cluster '" + text + "'",
                "list clusters with: grid cluster list");
}

}  // namespace core
