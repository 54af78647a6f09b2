#include "core/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <thread>

#include "core/adoption.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/process.hpp"
#include "core/registry.hpp"
#include "core/ssh.hpp"
#include "core/text.hpp"

namespace core {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool valid_label_key(const std::string& k) {
    if (k.empty() || k.size() > 63) return false;
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
            c != '/')
            return false;
    return true;
}

const Instance* find_instance(const Cluster& c, const std::string& id) {
    for (const auto& i : c.instances)
        if (i.id == id) return &i;
    return nullptr;
}

// The node users land on: the jumphost of a multi-node cluster, else the single node.
const Instance* entry_node(const Cluster& c) {
    for (const auto& i : c.instances)
        if (i.role == Role::Jumphost) return &i;
    return c.instances.empty() ? nullptr : &c.instances.front();
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line;
}

struct ProbeResult {
    bool ok = false;
    std::string out;
    bool rejected = false;  // the node answered but refused the key: waiting will not help
    std::string error;
};

ProbeResult probe(const SshFiles& files, const std::string& instance_id, const std::string& input,
                  const std::vector<std::string>& command) {
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    o.input = input;
    ProbeResult p;
    try {
        const auto r = run(ssh_argv(files, instance_id, true, command), o);
        p.ok = r.exit_code == 0;
        p.out = r.out;
        if (!p.ok) {
            p.error = r.timed_out ? "ssh timed out" : first_line(r.err);
            if (p.error.empty()) p.error = "ssh exited with " + std::to_string(r.exit_code);
            p.rejected = r.err.find("Permission denied") != std::string::npos;
        }
    } catch (const Error& e) {
        p.error = e.what();
    }
    return p;
}

}  // namespace

struct Engine::Impl {
    Store& store;
    const Config& config;
    Paths paths;
    Observer& observer;
    std::vector<std::string> watchdog_command;
    std::map<std::string, std::unique_ptr<Provider>> providers;  // by "provider/profile"
    std::map<std::string, std::string> last_probe_error;         // by instance id
    // Probes of a node that does not answer yet are spaced out: each costs an ssh handshake.
    struct Backoff {
        Clock::time_point next{};
        std::chrono::milliseconds delay{200};
    };
    std::map<std::string, Backoff> probe_backoff;  // by cluster id
    std::set<std::string> observed_already;

    Impl(Store& s, const Config& c, Paths p, Observer& o)
        : store(s), config(c), paths(std::move(p)), observer(o) {}

    Provider& provider(const Target& t) {
        const std::string key = t.provider + "/" + t.profile;
        auto& slot = providers[key];
        if (!slot) {
            ProviderContext ctx;
            ctx.name = t.provider;
            ctx.settings = t.settings;
            ctx.state_dir = paths.state_dir / t.provider;
            if (observer.tracing())
                ctx.trace = [this](const std::string& line) { observer.on_trace(line); };
            ctx.warn = [this](const std::string& line) { observer.on_warning(line); };
            slot = make_provider(ctx);
        }
        return *slot;
    }

    Target target_of(const Cluster& c) const {
        Target t;
        t.provider = c.provider;
        t.profile = c.profile;
        if (!c.profile.empty()) {
            if (auto p = config.profile(c.profile)) t.settings = p->settings;
        } else {
            t.settings = config.provider_settings(c.provider);
        }
        return t;
    }

    Cluster load(const std::string& id) const {
        auto c = store.find_cluster(id);
        if (!c)
            throw Error(ErrorKind::NotFound, "no cluster " + id,
                        "list them with: grid cluster list --all");
        return *c;
    }

    // The one place the engine changes a state: the store checks the lifecycle table.
    bool move(const Instance& i, State to, const std::string& reason) {
        if (i.state == to) return true;
        if (!store.transition(i.id, i.state, to, reason)) return false;
        observer.on_transition(i.id, i.state, to, reason);
        return true;
    }

    void note(const std::string& cluster_id, const std::string& instance_id,
              const std::string& kind, const std::string& message) {
        Event e;
        e.cluster_id = cluster_id;
        e.instance_id = instance_id;
        e.kind = kind;
        e.message = message;
        store.record_event(e);
    }

    void start_watchdog(const Cluster& c) {
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

    void stop_watchdog(const std::string& cluster_id) {
        const fs::path pid_file = paths.cluster_dir(cluster_id) / "watchdog.pid";
        const auto text = read_file(pid_file);
        if (!text) return;
        const pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
        if (pid <= 0 || pid == ::getpid()) return;
        // Only our watchdog: a recycled pid must not be killed.
        const std::string cmd = process_cmdline(pid);
        if (cmd.find("__watchdog") != std::string::npos &&
            cmd.find(cluster_id) != std::string::npos)
            stop_process(pid, std::chrono::seconds(2));
    }

    // A provider state the lifecycle has no transition for is kept as an event with both
    // states, never applied.
    void observed_only(const Instance& i, const Observation& o) {
        Event e;
        e.cluster_id = i.cluster_id;
        e.instance_id = i.id;
        e.kind = "observed";
        e.from = i.state;
        e.message = std::string("provider reports ") + to_string(o.state) + " while " +
                    to_string(i.state) + (o.detail.empty() ? "" : ": " + o.detail);
        if (!observed_already.insert(i.id + "\n" + e.message).second) return;  // once per process
        store.record_event(e);
        observer.on_warning(i.id + ": " + e.message);
    }

    // Facts from the provider, applied through the lifecycle. `listed` is a look already taken
    // at every instance of the provider (refresh_all); without it the provider is asked.
    void observe(Cluster& c, const std::map<std::string, Observation>* listed = nullptr) {
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
                        move(i, State::Failed,
                             "preempted" + (o.detail.empty() ? "" : ": " + o.detail));
                    break;
                case ProviderState::Unhealthy:
                    if (i.state == State::Provisioning || i.state == State::Configuring ||
                        i.state == State::ContainerCreating || i.state == State::Running)
                        move(i, State::Failed,
                             "unhealthy" + (o.detail.empty() ? "" : ": " + o.detail));
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

    // The engine's own checks that end CONFIGURING: every node answers ssh, and the jumphost
    // of a multi-node cluster can reach every worker by name.
    void configure(Cluster& c) {
        const bool any = std::any_of(c.instances.begin(), c.instances.end(), [](const Instance& i) {
            return i.state == State::Configuring;
        });
        if (!any) return;
        // Every node needs its address before the files that name them all are written.
        for (const auto& i : c.instances)
            if (i.state == State::Pending || i.state == State::Provisioning) return;
        if (Clock::now() < probe_backoff[c.id].next) return;
        const SshFiles files = ssh_files(paths, c.id);
        write_ssh_files(c, files);

        const Instance* entry = entry_node(c);
        if (!entry || !is_live(entry->state)) return;
        std::vector<const Instance*> workers;
        if (c.multi_node())
            for (const auto& i : c.instances)
                if (i.role == Role::Worker && i.state == State::Configuring) workers.push_back(&i);
        if (entry->state != State::Configuring && workers.empty()) return;

        // One ssh to the entry node. On a multi-node cluster it also learns the workers' names
        // and the cluster key, and checks every worker from inside the cluster's network, all
        // at once: N handshakes in parallel instead of N jumps from here.
        const ProbeResult p =
            c.multi_node() ? probe(files, entry->id, jumphost_setup_script(c, files), {"sh", "-s"})
                           : probe(files, entry->id, "", {"true"});
        if (!p.ok) return fail_or_wait(c, *entry, p);
        if (entry->state == State::Configuring) move(*entry, State::Running, "answers ssh");
        for (const Instance* w : workers) {
            const std::string ok = "grid-ok " + w->id + "\n";
            if (p.out.find(ok) != std::string::npos) {
                move(*w, State::Running, "answers ssh from the jumphost");
                continue;
            }
            ProbeResult down;
            const auto at = p.out.find("grid-down " + w->id + " ");
            down.error = at == std::string::npos ? "no answer"
                                                 : first_line(p.out.substr(at + 11 + w->id.size()));
            down.rejected = down.error.find("Permission denied") != std::string::npos;
            fail_or_wait(c, *w, down);
        }
        c = load(c.id);
    }

    void fail_or_wait(const Cluster& c, const Instance& i, const ProbeResult& p) {
        last_probe_error[i.id] = p.error;
        if (p.rejected)
            return (void)move(i, State::Failed, "ssh rejected the cluster key: " + p.error);
        observer.on_progress(i.id + ": waiting for ssh (" + p.error + ")");
        Backoff& b = probe_backoff[c.id];
        b.next = Clock::now() + b.delay;
        b.delay = std::min<std::chrono::milliseconds>(b.delay * 2, std::chrono::seconds(5));
    }

    // Installs the cluster key and the workers' names on the jumphost, then checks from there
    // that every worker answers. Sent on stdin: a private key never appears in a command line.
    std::string jumphost_setup_script(const Cluster& c, const SshFiles& files) {
        const auto key = read_file(files.key);
        if (!key) throw Error(ErrorKind::Other, "cluster key missing: " + files.key.string());
        std::string s = "set -e\numask 077\nmkdir -p ~/.ssh\n";
        s += "cat > ~/.ssh/id_ed25519 <<'GRID_EOF'\n" + *key + "GRID_EOF\n";
        s += "cat > ~/.ssh/config <<'GRID_EOF'\n" + jumphost_ssh_config_text(c) + "GRID_EOF\n";
        s += "cat > ~/.ssh/known_hosts <<'GRID_EOF'\n" + known_hosts_text(c) + "GRID_EOF\n";
        s += "set +e\n";
        s += "check() {\n"
             "    if out=$(/usr/bin/ssh -F ~/.ssh/config -o BatchMode=yes -o ConnectTimeout=10 -o "
             "LogLevel=ERROR "
             "-o KexAlgorithms=curve25519-sha256,sntrup761x25519-sha512@openssh.com \"$1\" true "
             "</dev/null 2>&1)\n"
             "    then echo \"grid-ok $1\"\n"
             "    else echo \"grid-down $1 $(printf '%s' \"$out\" | head -n 1)\"\n"
             "    fi\n"
             "}\n";
        for (const auto& i : c.instances)
            if (i.role == Role::Worker && i.state == State::Configuring)
                s += "check " + i.id + " &\n";
        s += "wait\n";
        return s;
    }

    void check_expiry(Cluster& c) {
        if (!c.expires_at || *c.expires_at > now_unix()) return;
        const State s = c.status();
        if (s == State::Destroyed || s == State::Failed) return;
        const bool live = std::any_of(
            c.instances.begin(), c.instances.end(),
            [](const Instance& i) { return is_live(i.state) && i.state != State::Destroying; });
        if (live) c = destroy(c.id, EndReason::TtlExpired, "", true);
    }

    Cluster destroy(const std::string& id, EndReason reason, const std::string& detail, bool wait) {
        Cluster c = load(id);
        store.set_end_reason(c.id, reason, detail);
        if (reason != EndReason::TtlExpired) stop_watchdog(c.id);
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
        c = load(c.id);
        adopt_unrecorded_launches(c);
        // FAILED instances are terminated too: a failed machine may still be billed.
        std::vector<std::string> ids;
        for (const auto& i : c.instances)
            if (!i.provider_id.empty() && i.state != State::Destroyed) ids.push_back(i.provider_id);
        if (!ids.empty()) provider(target_of(c)).terminate(ids);
        for (const auto& i : c.instances)
            if (i.state == State::Destroying && i.provider_id.empty())
                move(i, State::Destroyed, "never launched");
        c = load(c.id);
        if (wait) c = wait_for(c.id, std::chrono::minutes(10), /*destroying=*/true);
        if (!std::any_of(c.instances.begin(), c.instances.end(),
                         [](const Instance& i) { return is_live(i.state); }))
            remove_client_files(c.id);
        return c;
    }

    // An instance with no provider id may still have been launched: its launch was cut short
    // (Ctrl-C, a lost reply) after the provider acted. The provider is asked by name, and what
    // it has is recorded, so that it is terminated with the rest instead of left running.
    void adopt_unrecorded_launches(Cluster& c) {
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
            e.kind = "observed";
            e.from = i->state;
            e.message = "found at the provider by name: " + provider_id;
            store.record_event(e);
        }
        if (!found.empty()) c = load(c.id);
    }

    void remove_client_files(const std::string& id) {
        std::error_code ec;
        const SshFiles f = ssh_files(paths, id);
        fs::remove(f.key, ec);
        fs::remove(f.key.string() + ".pub", ec);
        fs::remove(f.config, ec);
        fs::remove(f.known_hosts, ec);
    }

    Cluster refresh(const std::string& id,
                    const std::map<std::string, Observation>* listed = nullptr) {
        Cluster c = load(id);
        check_expiry(c);
        observe(c, listed);
        configure(c);
        return c;
    }

    // Records what a provider's listing holds that the store does not know (core/adoption).
    // The store is read after the listing: a launch in flight from another grid is then either
    // recorded already or still without its id, and never taken for a stranger.
    std::vector<std::string> adopt(const Target& t, Provider& p,
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
        in.now = now_unix();
        const Adoption a = plan_adoption(listed, in);

        for (const auto& f : a.found) {
            const auto name = parse_instance_name(f.instance_id);
            Cluster c = load(name->cluster);
            const Instance* i = find_instance(c, f.instance_id);
            if (!i || !i->provider_id.empty()) continue;  // recorded meanwhile
            Instance updated = *i;
            updated.provider_id = f.provider_id;
            store.update_instance_endpoint(updated);
            note(c.id, i->id, "observed", "found at the provider by name: " + f.provider_id);
        }
        std::vector<std::string> ids;
        for (const auto& planned : a.clusters) {
            store.insert_cluster(planned);
            for (const auto& i : planned.instances)
                store.update_instance_endpoint(i);
            std::string names;
            for (const auto& i : planned.instances)
                names += (names.empty() ? "" : ", ") + i.provider_id;
            note(planned.id, "", "found",
                 "running at " + t.provider + (t.profile.empty() ? "" : " (" + t.profile + ")") +
                     " under grid's names, unknown to this store: " + names);
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

    // One look per provider account that can list (Capabilities::listing), one per cluster
    // for the others.
    std::vector<std::string> refresh_all(const std::string& only_provider) {
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
        for (const auto& name : config.profile_names())
            if (const auto p = config.profile(name);
                p && has_provider(p->provider) &&
                (only_provider.empty() || p->provider == only_provider))
                add(Target{p->provider, name, p->settings});
        for (const auto& name : config.root().table("providers").keys())
            if (has_provider(name) && (only_provider.empty() || name == only_provider))
                add(Target{name, "", config.provider_settings(name)});

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
                adopted.insert(adopted.end(), ids.begin(), ids.end());
            } catch (const Error& e) {
                if (e.kind() == ErrorKind::Interrupted) throw;
                observer.on_warning("cannot look at " + where + ": " + e.what());
            }
        }
        return adopted;
    }

    void refresh_one(const std::string& id, const std::map<std::string, Observation>* listed) {
        try {
            refresh(id, listed);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Interrupted) throw;
            observer.on_warning("cannot refresh " + id + ": " + e.what());
        }
    }

    // Polls until nothing is left in a transitional state of the kind waited for.
    Cluster wait_for(const std::string& id, std::chrono::seconds timeout, bool destroying) {
        const auto deadline = Clock::now() + timeout;
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
            if (Clock::now() >= deadline) {
                std::string why;
                for (const auto& i : c.instances)
                    if (auto it = last_probe_error.find(i.id); it != last_probe_error.end() &&
                                                               is_live(i.state) &&
                                                               i.state != State::Running)
                        why = " (" + i.id + ": " + it->second + ")";
                throw Error(ErrorKind::Timeout,
                            "cluster " + c.id + " is still " + to_string(status) + " after " +
                                format_duration(timeout) + why,
                            destroying ? "check again with: grid cluster info " + c.id
                                       : "see grid cluster info " + c.id +
                                             "; remove it with: grid cluster destroy " + c.id);
            }
            std::this_thread::sleep_for(p.poll_interval());
        }
    }
};

Engine::Engine(Store& store, const Config& config, Paths paths, Observer& observer)
    : m_impl(std::make_unique<Impl>(store, config, std::move(paths), observer)) {}
Engine::~Engine() = default;

void Engine::set_watchdog_command(std::vector<std::string> argv) {
    m_impl->watchdog_command = std::move(argv);
}

Target Engine::target(const std::string& provider, const std::string& profile) const {
    Target t;
    if (!profile.empty()) {
        const auto p = m_impl->config.profile(profile);
        if (!p) {
            std::string known;
            for (const auto& n : m_impl->config.profile_names())
                known += (known.empty() ? "" : ", ") + n;
            throw Error(ErrorKind::Usage, "unknown profile '" + profile + "'",
                        known.empty() ? "define it under [profiles." + profile + "] in " +
                                            m_impl->config.source()
                                      : "profiles in " + m_impl->config.source() + ": " + known);
        }
        if (p->provider.empty())
            throw Error(
                ErrorKind::Usage,
                "profile '" + profile + "' is a queue only: it has a scheduler and no provider",
                "use it with grid queue (--profile " + profile +
                    "); to make clusters with it too, add provider = \"local\" (or "
                    "another) to [profiles." +
                    profile + "]");
        if (!provider.empty() && provider != p->provider)
            throw Error(ErrorKind::Usage, "profile '" + profile + "' uses provider '" +
                                              p->provider + "', not '" + provider + "'");
        t.provider = p->provider;
        t.profile = profile;
        t.settings = p->settings;
    } else {
        t.provider = provider.empty() ? m_impl->config.default_provider() : provider;
        t.settings = m_impl->config.provider_settings(t.provider);
    }
    if (!has_provider(t.provider)) {
        std::string known;
        for (const auto& n : provider_names())
            known += (known.empty() ? "" : ", ") + n;
        throw Error(ErrorKind::Usage, "unknown provider '" + t.provider + "'",
                    "known providers: " + known);
    }
    return t;
}

std::vector<InstanceType> Engine::types(const Target& t) {
    return m_impl->provider(t).catalog();
}

Cluster Engine::plan(const CreateRequest& r) {
    if (r.nodes < 1 || r.nodes > k_max_nodes)
        throw Error(ErrorKind::Usage, "-n must be between 1 and " + std::to_string(k_max_nodes) +
                                          ", not " + std::to_string(r.nodes));
    if (!r.container.empty() && r.nodes > 1)
        throw Error(ErrorKind::Usage, "--container is for single-node clusters only",
                    "drop --container, or create with -n 1");
    if (!r.name.empty() && !is_valid_name(r.name))
        throw Error(ErrorKind::Usage, "invalid name '" + r.name + "'",
                    "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
    for (const auto& [k, v] : r.labels)
        if (!valid_label_key(k))
            throw Error(ErrorKind::Usage, "invalid label key '" + k + "'",
                        "use --label KEY=VALUE with KEY of letters, digits, . _ - /");
    if (!r.group.empty()) {
        const auto colon = r.group.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == r.group.size())
            throw Error(ErrorKind::Usage, "invalid group '" + r.group + "'",
                        "use --group CATEGORY:GROUP");
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
    if (r.nodes > 1 && !type->multi_node)
        throw Error(ErrorKind::Usage, type->name + " is single-node only on " + t.provider);

    Cluster c;
    c.id = new_cluster_id();
    c.name = r.name;
    c.provider = t.provider;
    c.profile = t.profile;
    c.region = r.region;
    c.type = type->name;
    c.nodes = r.nodes;
    c.container = r.container;
    c.group = r.group;
    c.labels = r.labels;
    c.created_at = now_unix();
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
    m.store.insert_cluster(c);
    m.observer.on_progress("cluster " + c.id + ": " + std::to_string(c.nodes) + " x " + c.type +
                           " on " + c.provider);

    const SshFiles files = ssh_files(m.paths, c.id);
    generate_keypair(files.key, "grid-cluster-" + c.id);
    const auto cluster_key = read_file(files.key.string() + ".pub");
    m.start_watchdog(c);

    std::vector<LaunchRequest> requests;
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
    Provider& p = m.provider(m.target_of(c));
    try {
        if (interrupted()) throw Error(ErrorKind::Interrupted, "interrupted");
        m.observer.on_progress("launching " + std::to_string(requests.size()) + " instances");
        p.launch(requests, [&](const std::string& name, const std::string& provider_id) {
            const Instance* i = find_instance(c, name);
            if (!i) return;
            Instance updated = *i;
            updated.provider_id = provider_id;
            m.store.update_instance_endpoint(updated);
            if (!m.move(*i, State::Provisioning, "capacity found")) {
                // Destroyed while we were launching: do not leave the new machine behind.
                const std::string ids[] = {provider_id};
                p.terminate(ids);
                const Cluster now = m.load(c.id);
                if (const Instance* f = find_instance(now, name);
                    f && f->state == State::Destroying)
                    m.move(*f, State::Destroyed, "terminated right after launch");
            }
        });
    } catch (const Error& e) {
        const Cluster now = m.load(c.id);
        const bool was_interrupted = e.kind() == ErrorKind::Interrupted;
        for (const auto& i : now.instances)
            if (i.state == State::Pending)
                m.move(i, State::Failed, was_interrupted ? "interrupted" : e.what());
        m.store.set_end_reason(c.id, was_interrupted ? EndReason::Interrupted : EndReason::Failed,
                               e.what());
        // The cleanup must not be cut short by the Ctrl-C that asked for it; a second one
        // still stops it, and then the instances stay recorded for `grid cluster destroy`.
        if (was_interrupted) set_interrupted(false);
        // Whatever did launch before the failure goes away again.
        m.destroy(c.id, was_interrupted ? EndReason::Interrupted : EndReason::Failed, e.what(),
                  true);
        if (was_interrupted) throw;
        throw Error(e.kind(), "cluster " + c.id + " failed: " + e.what(), e.hint());
    }
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
    return wait_running(c.id, r.timeout);
}

Cluster Engine::wait_running(const std::string& id, std::chrono::seconds timeout) {
    Impl& m = *m_impl;
    Cluster c;
    try {
        c = m.wait_for(id, timeout, false);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Interrupted) throw;
        set_interrupted(false);  // the cleanup below must not be cut short too
        m.destroy(id, EndReason::Interrupted, "interrupted while waiting", true);
        throw;
    }
    const State s = c.status();
    if (s == State::Failed) {
        std::string why;
        for (const auto& i : c.instances)
            if (i.state == State::Failed) why = i.id + ": " + i.state_reason;
        m.destroy(c.id, EndReason::Failed, why, true);
        throw Error(ErrorKind::Provider, "cluster " + c.id + " failed: " + why,
                    "its instances were released; see: grid cluster info " + c.id);
    }
    if (s == State::Destroying || s == State::Destroyed)
        throw Error(ErrorKind::InvalidState,
                    "cluster " + c.id + " was destroyed while being created");
    return c;
}

Cluster Engine::refresh(const std::string& id) {
    return m_impl->refresh(id);
}

std::vector<std::string> Engine::refresh_all(const std::string& provider) {
    return m_impl->refresh_all(provider);
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
    if (!anything) return c;
    return m_impl->destroy(id, reason, detail, wait);
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

Cluster Engine::load(const std::string& id) const {
    return m_impl->load(id);
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
        const std::int64_t left = *c->expires_at - now_unix();
        if (left <= 0) {
            m.note(id, "", "note", "ttl expired: destroying");
            m.destroy(id, EndReason::TtlExpired, "", true);
            return;
        }
        // Wake up now and then: the TTL may have been extended, or the cluster destroyed.
        std::this_thread::sleep_for(std::chrono::seconds(std::min<std::int64_t>(left, 30)));
    }
}

}  // namespace core
