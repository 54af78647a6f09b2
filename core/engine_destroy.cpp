// destroy: release every instance of a cluster, by a user, its TTL or a finished job; archive
// ended clusters; the TTL watchdog.

#include <unistd.h>

#include <algorithm>

#include "core/duration.hpp"
#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

namespace core {

namespace fs = std::filesystem;

namespace {

// The store is there but takes no writes: a full disk, a read-only file system, an I/O error.
bool cannot_write(const StoreError& e) {
    using Cause = StoreError::Cause;
    return e.cause() == Cause::Full || e.cause() == Cause::ReadOnly || e.cause() == Cause::Io;
}

}  // namespace

Cluster Engine::Impl::destroy(const std::string& id, EndReason reason, const std::string& detail,
                              bool wait) {
    const Cluster before = load(id);
    try {
        return destroy_recorded(id, reason, detail, wait);
    } catch (const StoreError& e) {
        if (!cannot_write(e)) throw;
        return destroy_unrecorded(before, reason, detail, wait);
    }
}

void Engine::Impl::mark_destroying(const std::string& id, EndReason reason,
                                   const std::string& detail) {
    store.set_end_reason(id, reason, detail);
    const Cluster c = load(id);
    const std::string why = std::string("destroy requested (") + to_string(reason) + ")";
    for (const auto& i : c.instances)
        if (is_live(i.state) && i.state != State::Destroying) {
            if (!move(i, State::Destroying, why)) {
                // Someone else moved it meanwhile; take it from where it is now.
                const Cluster fresh = load(c.id);
                if (const Instance* f = find_instance(fresh, i.id); f && is_live(f->state))
                    move(*f, State::Destroying, why);
            }
        }
}

Cluster Engine::Impl::destroy_recorded(const std::string& id, EndReason reason,
                                       const std::string& detail, bool wait) {
    // The reason first, before a create that is stopped for this destroy records its own.
    store.set_end_reason(id, reason, detail);
    const auto owned = take_over(id, OperationKind::Destroy);
    if (reason != EndReason::TtlExpired) stop_watchdog(id);
    mark_destroying(id, reason, detail);
    Cluster c = load(id);
    release(c);
    if (wait) c = wait_for(c.id, std::chrono::minutes(10), /*destroying=*/true);
    if (!std::any_of(c.instances.begin(), c.instances.end(),
                     [](const Instance& i) { return is_live(i.state); }))
        remove_client_files(c.id);
    return c;
}

Cluster Engine::Impl::destroy_unrecorded(const Cluster& c, EndReason reason,
                                         const std::string& detail, bool wait) {
    // Released first, recorded after: what costs money goes, whatever the bookkeeping can do.
    Provider& p = provider(target_of(c));
    std::vector<std::string> ids, unlaunched;
    for (const auto& i : c.instances) {
        if (i.state == State::Destroyed) continue;
        if (i.provider_id.empty())
            unlaunched.push_back(i.id);
        else
            ids.push_back(i.provider_id);
    }
    for (const auto& [name, provider_id] : p.find_by_name(unlaunched))
        ids.push_back(provider_id);
    if (!ids.empty()) p.terminate(ids);
    p.sweep(c.id);
    if (reason != EndReason::TtlExpired) stop_watchdog(c.id);
    try {
        // Releasing may have freed the space the record needs.
        mark_destroying(c.id, reason, detail);
        for (const auto& i : load(c.id).instances)
            if (i.state == State::Destroying && i.provider_id.empty())
                move(i, State::Destroyed, "never launched");
        return wait ? wait_for(c.id, std::chrono::minutes(10), /*destroying=*/true) : load(c.id);
    } catch (const StoreError& e) {
        if (!cannot_write(e)) throw;
        const std::string fix = e.hint().empty() ? "fix that" : e.hint();
        std::string hint = fix + "; the next grid command records the destroy";
        try {
            store.defer_destroy(c.id, reason);
        } catch (const Error&) {
            hint = fix + ", then run grid cluster destroy " + c.id + " again to record it";
        }
        throw Error(ErrorKind::Other, "cluster " + c.id + " was released, but " + e.what(), hint);
    }
}

void Engine::Impl::release(Cluster& c) {
    adopt_unrecorded_launches(c);
    Provider& p = provider(target_of(c));
    // FAILED instances are terminated too: a failed machine may still be billed.
    std::vector<std::string> ids;
    for (const auto& i : c.instances)
        if (!i.provider_id.empty() && i.state != State::Destroyed) ids.push_back(i.provider_id);
    if (!ids.empty()) p.terminate(ids);
    // Whatever the records say: a launch cut short may have left more than they know of.
    p.sweep(c.id);
    for (const auto& i : c.instances)
        if (i.state == State::Destroying && i.provider_id.empty())
            move(i, State::Destroyed, "never launched");
    c = load(c.id);
}

void Engine::Impl::check_expiry(Cluster& c) {
    if (!c.expires_at || *c.expires_at > clock.unix_now()) return;
    const State s = c.status();
    if (s == State::Destroyed || s == State::Failed) return;
    const bool live = std::any_of(c.instances.begin(), c.instances.end(), [](const Instance& i) {
        return is_live(i.state) && i.state != State::Destroying;
    });
    if (live) c = destroy(c.id, EndReason::TtlExpired, "", true);
}

void Engine::Impl::remove_client_files(const std::string& id) {
    std::error_code ec;
    const SshFiles f = ssh_files(paths, id);
    fs::remove(f.key, ec);
    fs::remove(f.key.string() + ".pub", ec);
    fs::remove(f.config, ec);
    fs::remove(f.known_hosts, ec);
}

void Engine::Impl::start_watchdog(const Cluster& c) {
    if (watchdog_command.empty() || !c.expires_at) return;
    const SshFiles files = ssh_files(paths, c.id);
    ensure_dir(files.dir);
    auto argv = watchdog_command;
    argv.push_back(c.id);
    const std::vector<std::string> env{"GRID_STATE_DIR=" + paths.state_dir.string(),
                                       "GRID_CONFIG=" + paths.config_file.string()};
    const pid_t pid = spawn_detached(argv, env, files.dir / "watchdog.log");
    write_file(files.dir / "watchdog.pid", std::to_string(pid) + "\n", 0600);
}

void Engine::Impl::stop_watchdog(const std::string& cluster_id) {
    const fs::path pid_file = paths.cluster_dir(cluster_id) / "watchdog.pid";
    const auto text = read_file(pid_file);
    if (!text) return;
    const pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
    if (pid <= 0 || pid == ::getpid()) return;
    // Only our watchdog: a recycled pid must not be killed.
    const std::string cmd = process_cmdline(pid);
    if (cmd.find("__watchdog") != std::string::npos && cmd.find(cluster_id) != std::string::npos)
        stop_process(pid, std::chrono::seconds(2));
}

Cluster Engine::destroy(const std::string& id, EndReason reason, const std::string& detail,
                        bool wait) {
    // Destroying an ended cluster is not an error: cleanup scripts run destroy unconditionally.
    // A FAILED instance is still asked to go away, as it may still be billed.
    const Cluster c = m_impl->load(id);
    // A FAILED instance without a provider id is asked about by name too: its launch may
    // have happened after all.
    const bool anything =
        std::any_of(c.instances.begin(), c.instances.end(),
                    [](const Instance& i) { return is_live(i.state) || i.state == State::Failed; });
    if (anything) return m_impl->destroy(id, reason, detail, wait);
    // Ended: still nothing of it may be left behind, whatever was recorded.
    m_impl->provider(m_impl->target_of(c)).sweep(c.id);
    return c;
}

void Engine::archive(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        const Cluster c = m_impl->load(id);
        const bool live = std::any_of(c.instances.begin(), c.instances.end(),
                                      [](const Instance& i) { return is_live(i.state); });
        if (live)
            throw Error(ErrorKind::InvalidState,
                        "cluster " + c.id + " is " + to_string(c.status()) +
                            "; only ended clusters are archived",
                        "destroy it first: grid cluster destroy " + c.id);
    }
    for (const auto& id : ids)
        if (!m_impl->load(id).archived) m_impl->store.set_archived(id);
}

void Engine::run_watchdog(const std::string& id) {
    Impl& m = *m_impl;
    const fs::path pid_file = m.paths.cluster_dir(id) / "watchdog.pid";
    while (true) {
        // A newer watchdog (after the TTL was changed) replaces this one.
        if (const auto owner = read_file(pid_file);
            owner && std::atol(owner->c_str()) != ::getpid())
            return;
        const auto c = m.store.find_cluster(id);
        if (!c || !c->expires_at) return;
        const bool live = std::any_of(
            c->instances.begin(), c->instances.end(),
            [](const Instance& i) { return is_live(i.state) && i.state != State::Destroying; });
        if (!live) return;
        const std::int64_t left = *c->expires_at - m.clock.unix_now();
        if (left <= 0) {
            m.note(id, "", EventKind::Note, "ttl expired: destroying");
            m.destroy(id, EndReason::TtlExpired, "", true);
            return;
        }
        // Wake up now and then: the TTL may have been extended, or the cluster destroyed.
        m.clock.sleep(std::chrono::seconds(std::min<std::int64_t>(left, 30)));
    }
}

}  // namespace core
