// observe: what the providers say, applied through the lifecycle; instances they run under
// grid's names that the store does not know, recorded.

#include <algorithm>

#include "core/adoption.hpp"
#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/registry.hpp"

namespace core {

// A provider state the lifecycle has no transition for is kept as an event with both
// states, never applied.
void Engine::Impl::observed_only(const Instance& i, const Observation& o) {
    Event e;
    e.cluster_id = i.cluster_id;
    e.instance_id = i.id;
    e.kind = EventKind::Observed;
    e.from = i.state;
    e.message = std::string("provider reports ") + to_string(o.state) + " while " +
                to_string(i.state) + (o.detail.empty() ? "" : ": " + o.detail);
    if (!observed_already.insert(i.id + "\n" + e.message).second) return;  // once per process
    store.record_event(e);
    observer.on_warning(i.id + ": " + e.message);
}

// Facts from the provider, applied through the lifecycle. `listed` is a look already taken
// at every instance of the provider (refresh_all); without it the provider is asked.
void Engine::Impl::observe(Cluster& c, const std::map<std::string, Observation>* listed) {
    std::vector<std::string> ids;
    for (const auto& i : c.instances)
        if (!i.provider_id.empty() && is_live(i.state)) ids.push_back(i.provider_id);
    if (ids.empty()) return;
    std::map<std::string, Observation> asked;
    if (!listed) {
        asked = provider(target_of(c)).describe(ids);
        listed = &asked;
    }
    const auto& seen = *listed;
    for (auto& i : c.instances) {
        if (i.provider_id.empty() || !is_live(i.state)) continue;
        const auto it = seen.find(i.provider_id);
        if (it == seen.end()) {
            if (i.state == State::Destroying)
                move(i, State::Destroyed, "provider confirms it is gone");
            else if (i.state != State::Pending)
                move(i, State::Failed, "lost: the provider no longer knows this instance");
            continue;
        }
        const Observation& o = it->second;
        switch (o.state) {
            case ProviderState::Terminated:
                if (i.state == State::Destroying)
                    move(i, State::Destroyed, "provider confirms it is gone");
                else if (i.state != State::Pending)
                    move(i, State::Failed,
                         "lost: terminated without a destroy" +
                             (o.detail.empty() ? "" : " (" + o.detail + ")"));
                break;
            case ProviderState::Preempted:
                if (i.state != State::Destroying && i.state != State::Pending)
                    move(i, State::Failed, "preempted" + (o.detail.empty() ? "" : ": " + o.detail));
                break;
            case ProviderState::Unhealthy:
                if (i.state == State::Provisioning || i.state == State::Configuring ||
                    i.state == State::ContainerCreating || i.state == State::Running)
                    move(i, State::Failed, "unhealthy" + (o.detail.empty() ? "" : ": " + o.detail));
                break;
            case ProviderState::Active:
                if (i.state == State::Provisioning) {
                    Instance updated = i;
                    updated.public_ip = o.public_ip;
                    updated.private_ip = o.private_ip;
                    updated.ssh_port = o.ssh_port;
                    updated.ssh_user = o.ssh_user;
                    updated.host_key = o.host_key;
                    store.update_instance_endpoint(updated);
                    move(i, State::Configuring, "machine up");
                }
                break;
            case ProviderState::Booting:
                if (i.state == State::Configuring || i.state == State::Running)
                    observed_only(i, o);  // a reboot, perhaps: nothing in the table for it
                break;
            case ProviderState::Terminating:
                if (i.state != State::Destroying) observed_only(i, o);  // not asked for by grid
                break;
        }
    }
    c = load(c.id);
}

Cluster Engine::Impl::refresh(const std::string& id,
                              const std::map<std::string, Observation>* listed) {
    Cluster c = load(id);
    if (const auto op = store.operation(id); op && !(op->owner == this_process())) {
        // A live owner drives the cluster: what it sees half-done (a node still starting) is
        // not for this process to act on.
        if (!owner_gone(*op, clock.unix_now())) return c;
        return recover(id, *op, listed);
    }
    check_expiry(c);
    observe(c, listed);
    configure(c);
    return c;
}

void Engine::Impl::refresh_one(const std::string& id,
                               const std::map<std::string, Observation>* listed) {
    try {
        refresh(id, listed);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Interrupted) throw;
        observer.on_warning("cannot refresh " + id + ": " + e.what());
    }
}

std::vector<Target> Engine::Impl::accounts(const std::string& only_provider) const {
    std::vector<Target> out;
    auto wanted = [&](const std::string& p) {
        return has_provider(p) && (only_provider.empty() || p == only_provider);
    };
    for (const auto& name : config.profile_names())
        if (const auto p = config.profile(name); p && wanted(p->provider))
            out.push_back(Target{p->provider, name, p->settings});
    bool default_listed = false;
    for (const auto& name : config.root().table("providers").keys())
        if (wanted(name)) {
            out.push_back(Target{name, "", config.provider_settings(name)});
            default_listed = default_listed || name == config.default_provider();
        }
    // The default provider needs no table of its own (local needs no config at all).
    if (const std::string d = config.default_provider(); !default_listed && wanted(d))
        out.push_back(Target{d, "", config.provider_settings(d)});
    return out;
}

void Engine::Impl::check_store_not_lost() {
    if (store.cluster_count() != 0) return;
    for (const auto& t : accounts("")) {
        Provider& p = provider(t);
        if (!p.capabilities().on_this_machine) continue;
        const auto found = p.discover();
        if (found.empty()) continue;
        std::string names;
        for (std::size_t k = 0; k < found.size() && k < 3; ++k)
            names += (names.empty() ? "" : ", ") + found[k].name;
        if (found.size() > 3) names += ", ...";
        throw Error(ErrorKind::Other,
                    "the state store at " + store.path().string() + " knows no clusters, but " +
                        std::to_string(found.size()) + " instance" +
                        (found.size() == 1 ? "" : "s") + " of the " + t.provider +
                        " provider are on this machine (" + names + ")",
                    "record them with: grid cluster list --refresh; then grid cluster destroy "
                    "stops them");
    }
}

// One look per provider account that can list (Capabilities::listing), one per cluster
// for the others.
std::vector<std::string> Engine::Impl::refresh_all(const std::string& only_provider) {
    struct Work {
        Target target;
        std::vector<std::string> clusters;
    };
    std::map<std::string, Work> work;  // by "provider/profile"
    auto add = [&](const Target& t) -> Work& {
        Work& w = work[t.provider + "/" + t.profile];
        w.target = t;
        return w;
    };
    for (const auto& c : store.list_summaries()) {
        if (c.status == State::Destroyed) continue;
        if (!only_provider.empty() && c.provider != only_provider) continue;
        Cluster shape;
        shape.provider = c.provider;
        shape.profile = c.profile;
        add(target_of(shape)).clusters.push_back(c.id);
    }
    // Accounts with nothing in the store are looked at too: a lost store is the case that
    // leaves the most behind.
    for (const auto& t : accounts(only_provider))
        add(t);

    std::vector<std::string> adopted;
    for (const auto& [key, w] : work) {
        const std::string where =
            w.target.provider + (w.target.profile.empty() ? "" : " (" + w.target.profile + ")");
        try {
            Provider& p = provider(w.target);
            if (!p.capabilities().listing) {
                for (const auto& id : w.clusters)
                    refresh_one(id, nullptr);
                continue;
            }
            const auto listed = p.discover();
            std::map<std::string, Observation> seen;
            for (const auto& d : listed)
                seen[d.provider_id] = d.observation;
            for (const auto& id : w.clusters)
                refresh_one(id, &seen);
            const auto ids = adopt(w.target, p, listed);
            // Those grid can reach (their key is here) are taken as far as the facts allow.
            for (const auto& id : ids)
                if (load(id).status() != State::Failed) refresh_one(id, &seen);
            adopted.insert(adopted.end(), ids.begin(), ids.end());
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Interrupted) throw;
            observer.on_warning("cannot look at " + where + ": " + e.what());
        }
    }
    return adopted;
}

// Records what a provider's listing holds that the store does not know (core/adoption).
// The store is read after the listing: a launch in flight from another grid is then either
// recorded already or still without its id, and never taken for a stranger.
std::vector<std::string> Engine::Impl::adopt(const Target& t, Provider& p,
                                             const std::vector<Provider::Discovered>& listed) {
    AdoptionInput in;
    in.provider = t.provider;
    in.profile = t.profile;
    for (const auto& c : store.list_clusters())  // not archived
        for (const auto& i : c.instances)
            if (!i.provider_id.empty()) in.known_provider_ids.insert(i.provider_id);
    std::map<std::string, std::optional<Cluster>> cache;
    in.find = [&](const std::string& id) -> const Cluster* {
        auto it = cache.find(id);
        if (it == cache.end()) it = cache.emplace(id, store.find_cluster(id)).first;
        return it->second ? &*it->second : nullptr;
    };
    in.new_id = [] { return new_cluster_id(); };
    in.type_of = [&](const std::string& type) { return p.type_of(type); };
    in.now = clock.unix_now();
    const Adoption a = plan_adoption(listed, in);

    for (const auto& f : a.found) {
        const auto name = parse_instance_name(f.instance_id);
        Cluster c = load(name->cluster);
        const Instance* i = find_instance(c, f.instance_id);
        if (!i || !i->provider_id.empty()) continue;  // recorded meanwhile
        Instance updated = *i;
        updated.provider_id = f.provider_id;
        store.update_instance_endpoint(updated);
        note(c.id, i->id, EventKind::Observed, "found at the provider by name: " + f.provider_id);
    }
    std::vector<std::string> ids;
    for (Cluster planned : a.clusters) {
        // An id that starts with another cluster's name cannot be kept: the found cluster gets
        // another, and a name that tells which it was at the provider.
        for (int attempt = 0; !store.insert_cluster(planned); ++attempt) {
            if (attempt == 100)
                throw Error(ErrorKind::Other, "no cluster id is free of the names in use");
            if (planned.name.empty()) planned.name = "found-" + planned.id;
            set_cluster_id(planned, new_cluster_id());
        }
        for (const auto& i : planned.instances)
            store.update_instance_endpoint(i);
        std::string names;
        for (const auto& i : planned.instances)
            names += (names.empty() ? "" : ", ") + i.provider_id;
        note(planned.id, "", EventKind::Found,
             "running at " + t.provider + (t.profile.empty() ? "" : " (" + t.profile + ")") +
                 " under grid's names, unknown to this store: " + names);
        // The cluster's own key is still here (the store was lost, not the state directory):
        // grid can reach it, so it is recorded as it really is.
        if (planned.name.empty() && std::filesystem::exists(ssh_files(paths, planned.id).key)) {
            for (const auto& i : load(planned.id).instances)
                move(i, State::Provisioning, "found at the provider, with its key");
            observer.on_warning(planned.id + ": found at " + t.provider +
                                ", unknown to this store; recorded with its real state");
            ids.push_back(planned.id);
            continue;
        }
        store.set_end_reason(planned.id, EndReason::Failed,
                             "found at the provider, unknown to this store");
        const Cluster c = load(planned.id);
        for (const auto& i : c.instances) {
            move(i, State::Provisioning, "found at the provider");
            Instance now = i;
            now.state = State::Provisioning;
            move(now, State::Failed,
                 "not created from this store, so grid has no key for it; remove it with: "
                 "grid cluster destroy " +
                     c.id);
        }
        observer.on_warning(
            c.id + ": " + std::to_string(c.instances.size()) + " instance" +
            (c.instances.size() == 1 ? "" : "s") + " at " + t.provider +
            (t.profile.empty() ? "" : " (" + t.profile + ")") +
            " named by grid but unknown to this store, recorded as FAILED; remove with: "
            "grid cluster destroy " +
            c.id);
        ids.push_back(planned.id);
    }
    return ids;
}

// An instance with no provider id may still have been launched: its launch was cut short
// (Ctrl-C, a lost reply) after the provider acted. The provider is asked by name, and what
// it has is recorded, so that it is terminated with the rest instead of left running.
void Engine::Impl::adopt_unrecorded_launches(Cluster& c) {
    std::vector<std::string> names;
    for (const auto& i : c.instances)
        if (i.provider_id.empty() && i.state != State::Destroyed) names.push_back(i.id);
    if (names.empty()) return;
    const auto found = provider(target_of(c)).find_by_name(names);
    for (const auto& [name, provider_id] : found) {
        const Instance* i = find_instance(c, name);
        if (!i) continue;
        Instance updated = *i;
        updated.provider_id = provider_id;
        store.update_instance_endpoint(updated);
        Event e;
        e.cluster_id = c.id;
        e.instance_id = i->id;
        e.kind = EventKind::Observed;
        e.from = i->state;
        e.message = "found at the provider by name: " + provider_id;
        store.record_event(e);
    }
    if (!found.empty()) c = load(c.id);
}

Cluster Engine::refresh(const std::string& id) {
    return m_impl->refresh(id);
}

std::vector<std::string> Engine::refresh_all(const std::string& provider) {
    return m_impl->refresh_all(provider);
}

void Engine::check_store_not_lost() {
    m_impl->check_store_not_lost();
}

}  // namespace core
