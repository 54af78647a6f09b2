// resolve: CLUSTER and INSTANCE as users type them.

#include <algorithm>

#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"

namespace core {

std::string Engine::resolve_cluster(const std::string& text, bool include_archived) const {
    if (text.empty())
        throw Error(ErrorKind::Usage, "a CLUSTER cannot be empty",
                    "give an id, a unique id prefix or a name (see: grid cluster list)");
    Store& s = m_impl->store;
    if (s.find_cluster(text)) return text;
    // A name is unique among clusters not archived; an archived cluster's name is history,
    // looked at only when no cluster in view has it.
    auto named = s.ids_with_name(text, false);
    if (named.empty() && include_archived) named = s.ids_with_name(text, true);
    const auto prefixed = s.ids_with_prefix(text, include_archived);
    std::vector<std::string> candidates;  // "id (why)"
    for (const auto& id : named)
        candidates.push_back(id + " (named so)");
    for (const auto& id : prefixed)
        if (std::find(named.begin(), named.end(), id) == named.end())
            candidates.push_back(id + " (its id starts so)");
    if (candidates.size() == 1) return named.empty() ? prefixed.front() : named.front();
    if (candidates.empty())
        throw Error(ErrorKind::NotFound, "no cluster " + quoted_input(text),
                    "list clusters with: grid cluster list --all");
    std::string list;
    for (const auto& c : candidates)
        list += (list.empty() ? "" : ", ") + c;
    throw Error(ErrorKind::Usage, quoted_input(text) + " stands for several clusters: " + list,
                "use the full id");
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
    throw Error(ErrorKind::NotFound, "no instance or cluster " + quoted_input(text),
                "list clusters with: grid cluster list");
}

}  // namespace core
