// create: plan a cluster, launch its instances, wait until every node is RUNNING.

#include <algorithm>
#include <cctype>

#include "core/duration.hpp"
#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/ssh.hpp"
#include "core/text.hpp"

namespace core {

namespace {

// For label values and groups: they are shown in tables, one line each.
constexpr std::size_t k_max_text_length = 255;

bool valid_label_key(const std::string& k) {
    if (k.empty() || k.size() > 63) return false;
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
            c != '/')
            return false;
    return true;
}

}  // namespace

Cluster Engine::plan(const CreateRequest& r) {
    if (r.nodes < 1 || r.nodes > k_max_nodes)
        throw Error(ErrorKind::Usage, "-n must be between 1 and " + std::to_string(k_max_nodes) +
                                          ", not " + std::to_string(r.nodes));
    if (!r.container.empty() && r.nodes > 1)
        throw Error(ErrorKind::Usage, "--container is for single-node clusters only",
                    "drop --container, or create with -n 1");
    if (r.name) {
        check_cluster_name(*r.name);
        m_impl->store.check_name_free(*r.name);
    }
    for (const auto& [k, v] : r.labels) {
        if (!valid_label_key(k))
            throw Error(ErrorKind::Usage, "invalid label key " + quoted_input(k),
                        "use --label KEY=VALUE with KEY of letters, digits, . _ - /");
        if (v.size() > k_max_text_length || has_control_characters(v))
            throw Error(
                ErrorKind::Usage, "invalid value for label '" + k + "': " + quoted_input(v),
                "use at most " + std::to_string(k_max_text_length) + " printable characters");
    }
    if (!r.group.empty()) {
        const auto colon = r.group.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == r.group.size() ||
            r.group.size() > k_max_text_length || has_control_characters(r.group))
            throw Error(ErrorKind::Usage, "invalid group " + quoted_input(r.group),
                        "use --group CATEGORY:GROUP, at most " + std::to_string(k_max_text_length) +
                            " printable characters");
    }
    if (r.public_keys.empty())
        throw Error(ErrorKind::Usage, "no SSH public key for the cluster",
                    "pass -i ~/.ssh/id_ed25519.pub, or register one with: grid me sshkey "
                    "~/.ssh/id_ed25519.pub");

    const Target t = target(r.provider, r.profile);
    Provider& p = m_impl->provider(t);
    const Capabilities caps = p.capabilities();
    if (r.nodes > 1 && !caps.multi_node)
        throw Error(ErrorKind::Usage, "provider " + t.provider + " has no multi-node clusters");
    if (!r.region.empty() && !caps.regions)
        throw Error(ErrorKind::Usage, "provider " + t.provider + " has no regions",
                    "drop --region");
    if (!r.container.empty() && !caps.containers)
        throw Error(ErrorKind::Usage, "provider " + t.provider + " does not run containers",
                    "drop --container");
    const auto catalog = p.catalog();
    const auto type = std::find_if(catalog.begin(), catalog.end(), [&](const InstanceType& it) {
        return lower(it.name) == lower(r.type);
    });
    if (type == catalog.end()) {
        std::string names;
        for (const auto& it : catalog)
            names += (names.empty() ? "" : ", ") + it.name;
        throw Error(ErrorKind::Usage,
                    "unknown instance type '" + r.type + "' for provider " + t.provider,
                    "types: " + names + " (see: grid types --provider " + t.provider + ")");
    }
    if (r.nodes > 1 && !type->multi_node) {
        std::string multi;
        for (const auto& it : catalog)
            if (it.multi_node) multi += (multi.empty() ? "" : ", ") + it.name;
        throw Error(ErrorKind::Usage,
                    type->name + " is single-node only on " + t.provider +
                        ": clusters of several nodes are made of 8-GPU machines",
                    multi.empty() ? "use -n 1" : "use -n 1, or one of: " + multi);
    }

    Cluster c;
    c.id = new_cluster_id();
    c.name = r.name.value_or("");
    c.provider = t.provider;
    c.profile = t.profile;
    c.region = r.region;
    c.type = type->name;
    c.nodes = r.nodes;
    c.topology = r.nodes >= 2 ? Topology::Jumphost : Topology::Single;
    c.container = r.container;
    c.group = r.group;
    c.labels = r.labels;
    c.created_at = m_impl->clock.unix_now();
    if (r.ttl) c.expires_at = c.created_at + r.ttl->count();
    auto add = [&](Role role, int index) {
        Instance i;
        i.id = instance_name(c.id, role, index);
        i.cluster_id = c.id;
        i.role = role;
        i.index = index;
        i.state = State::Pending;
        if (role == Role::Worker) {
            i.gpu_model = type->gpu_model;
            i.gpu_count = type->gpu_count;
        }
        c.instances.push_back(i);
    };
    if (c.multi_node()) add(Role::Jumphost, -1);
    for (int n = 0; n < r.nodes; ++n)
        add(Role::Worker, n);
    return c;
}

Cluster Engine::create(const CreateRequest& r) {
    Impl& m = *m_impl;
    Cluster c = plan(r);
    Operation op = new_operation(c.id, OperationKind::Create, m.clock);
    // An id that starts with another cluster's name would make the name stand for two
    // clusters: another id is drawn (one in 22 per one-letter name).
    for (int attempt = 0; !m.store.insert_cluster(c, &op); ++attempt) {
        if (attempt == 100)
            throw Error(ErrorKind::Other, "no cluster id is free of the names in use",
                        "archive ended clusters with short names: grid cluster archive ID");
        set_cluster_id(c, new_cluster_id());
        op.cluster_id = c.id;
    }
    Ownership owned(m.store, m.clock, op);
    m.observer.on_progress("cluster " + c.id + ": " + std::to_string(c.nodes) + " x " + c.type +
                           " on " + c.provider);

    std::vector<LaunchRequest> requests;
    Provider* p = nullptr;
    try {
        const SshFiles files = ssh_files(m.paths, c.id);
        generate_keypair(files.key, "grid-cluster-" + c.id);
        const auto cluster_key = read_file(files.key.string() + ".pub");
        m.start_watchdog(c);
        for (const auto& i : c.instances) {
            LaunchRequest q;
            q.name = i.id;
            q.cluster_id = c.id;
            q.role = i.role;
            q.type = c.type;
            q.region = c.region;
            q.authorized_keys = r.public_keys;
            if (cluster_key) {
                q.cluster_key = first_line(*cluster_key);
                q.authorized_keys.push_back(q.cluster_key);
            }
            requests.push_back(std::move(q));
        }
        p = &m.provider(m.target_of(c));
        if (interrupted()) throw Error(ErrorKind::Interrupted, "interrupted");
        m.observer.on_progress("launching " + std::to_string(requests.size()) + " instances");
        p->launch(requests, [&](const Provider::Launched& launched) {
            const std::string& name = launched.name;
            const std::string& provider_id = launched.provider_id;
            const Instance* i = find_instance(c, name);
            if (!i) return;
            Instance updated = *i;
            updated.provider_id = provider_id;
            updated.price_per_hour = launched.price_per_hour;
            m.store.update_instance_endpoint(updated);
            if (!m.move(*i, State::Provisioning, "capacity found")) {
                // Destroyed while we were launching: do not leave the new machine behind.
                const std::string ids[] = {provider_id};
                p->terminate(ids);
                const Cluster now = m.load(c.id);
                if (const Instance* f = find_instance(now, name);
                    f && f->state == State::Destroying)
                    m.move(*f, State::Destroyed, "terminated right after launch");
            }
        });
    } catch (const Error& e) {
        m.abort_create(c.id, e, owned, "launching");
    }
    // Every instance launched and set up: from here a look that finds this process gone
    // finishes the create instead of undoing it.
    owned.set_resumable();
    // Destroyed by someone else while launching: wait for the provider, and say so.
    const Cluster launched = m.load(c.id);
    if (std::any_of(launched.instances.begin(), launched.instances.end(), [](const Instance& i) {
            return i.state == State::Destroying || i.state == State::Destroyed;
        })) {
        m.wait_for(c.id, std::chrono::minutes(10), true);
        throw Error(ErrorKind::InvalidState,
                    "cluster " + c.id + " was destroyed while being created");
    }
    m.observer.on_progress("launched; waiting for every node to answer ssh");
    if (!r.wait) return m.load(c.id);
    return m.wait_running(c.id, r.timeout, owned);
}

void Engine::Impl::abort_create(const std::string& id, const Error& e, Ownership& owned,
                                const std::string& stage) {
    // Taken over by another grid, which took this one for dead: it is that one's now.
    if (owned.lost())
        throw Error(ErrorKind::InvalidState,
                    "cluster " + id + " was taken over by another grid process while " + stage,
                    "see: grid cluster info " + id);
    const bool was_interrupted = e.kind() == ErrorKind::Interrupted;
    // The cleanup must not be cut short by the signal that asked for it; a second one still
    // stops it, and then the instances stay recorded for `grid cluster destroy`.
    if (was_interrupted) set_interrupted(false);
    const Cluster now = load(id);
    for (const auto& i : now.instances)
        if (i.state == State::Pending)
            move(i, State::Failed, was_interrupted ? "interrupted" : e.what());
    const EndReason reason = was_interrupted ? EndReason::Interrupted : EndReason::Failed;
    store.set_end_reason(id, reason, e.what());
    // Whatever did launch before the failure goes away again.
    destroy(id, reason, e.what(), true);
    if (owned.stop_requested())
        throw Error(ErrorKind::InvalidState,
                    "cluster " + id + " was destroyed by another grid process while " + stage,
                    "see: grid cluster info " + id);
    if (was_interrupted) throw Error(ErrorKind::Interrupted, "interrupted while " + stage);
    throw Error(e.kind(), "cluster " + id + " failed: " + e.what(), e.hint());
}

Cluster Engine::Impl::wait_running(const std::string& id, std::chrono::seconds timeout,
                                   Ownership& owned) {
    Cluster c;
    try {
        c = wait_for(id, timeout, false);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Interrupted) throw;
        abort_create(id, e, owned, "waiting for ssh");
    }
    const State s = c.status();
    if (s == State::Failed) {
        std::string why;
        for (const auto& i : c.instances)
            if (i.state == State::Failed) why = i.id + ": " + i.state_reason;
        destroy(c.id, EndReason::Failed, why, true);
        throw Error(ErrorKind::Provider, "cluster " + c.id + " failed: " + why,
                    "its instances were released; see: grid cluster info " + c.id);
    }
    if (s == State::Destroying || s == State::Destroyed)
        throw Error(ErrorKind::InvalidState,
                    "cluster " + c.id + " was destroyed while being created");
    return c;
}

Cluster Engine::Impl::wait_for(const std::string& id, std::chrono::seconds timeout,
                               bool destroying) {
    const auto deadline = clock.now() + timeout;
    Cluster c = load(id);
    Provider& p = provider(target_of(c));
    while (true) {
        if (interrupted() && !destroying) throw Error(ErrorKind::Interrupted, "interrupted");
        if (destroying)
            observe(c);
        else
            c = refresh(id);
        // Ctrl-C during a create means "abort it", even when the last step just finished.
        if (interrupted() && !destroying) throw Error(ErrorKind::Interrupted, "interrupted");
        const bool pending =
            std::any_of(c.instances.begin(), c.instances.end(), [&](const Instance& i) {
                return destroying ? i.state == State::Destroying
                                  : (is_live(i.state) && i.state != State::Running);
            });
        const State status = c.status();
        if (!pending) return c;
        if (!destroying && (status == State::Failed || status == State::Destroying)) return c;
        if (clock.now() >= deadline) {
            std::string why;
            for (const auto& i : c.instances)
                if (auto it = last_probe_error.find(i.id);
                    it != last_probe_error.end() && is_live(i.state) && i.state != State::Running)
                    why = " (" + i.id + ": " + it->second + ")";
            throw Error(ErrorKind::Timeout,
                        "cluster " + c.id + " is still " + to_string(status) + " after " +
                            format_duration(timeout) + why,
                        destroying ? "check again with: grid cluster info " + c.id
                                   : "see grid cluster info " + c.id +
                                         "; remove it with: grid cluster destroy " + c.id);
        }
        clock.sleep(p.poll_interval());
    }
}

}  // namespace core
