#pragma once

// The engine's insides, shared by the files that implement its operations (engine_create,
// engine_observe, engine_configure, engine_destroy, engine_resolve). Not part of the public
// face: only engine*.cpp include it.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/engine.hpp"
#include "core/errors.hpp"
#include "core/ownership.hpp"
#include "core/ssh.hpp"

namespace core {

const Instance* find_instance(const Cluster& c, const std::string& id);
// The node users land on: the jumphost of a multi-node cluster, else the single node.
const Instance* entry_node(const Cluster& c);
// The first line of a program's output, without its line end.
std::string first_line(const std::string& text);

struct ProbeResult {
    bool ok = false;
    std::string out;
    bool rejected = false;  // the node answered but refused the key: waiting will not help
    std::string error;
};
// What a check over the node shell found.
ProbeResult probe_result(const ShellResult& r);

struct Engine::Impl {
    Store& store;
    const Config& config;
    Paths paths;
    Observer& observer;
    Clock& clock;
    std::unique_ptr<NodeShell> own_shell;  // ssh, when no shell was given
    NodeShell& shell;
    std::vector<std::string> watchdog_command;
    std::map<std::string, std::unique_ptr<Provider>> providers;  // by "provider/profile"
    std::map<std::string, std::string> last_probe_error;         // by instance id
    // Probes of a node that does not answer yet are spaced out: each costs an ssh handshake.
    struct Backoff {
        Clock::Instant next{};
        std::chrono::milliseconds delay{200};
    };
    std::map<std::string, Backoff> probe_backoff;  // by cluster id
    std::set<std::string> observed_already;

    Impl(Store& s, const Config& c, Paths p, Observer& o, EngineSeams seams)
        : store(s),
          config(c),
          paths(std::move(p)),
          observer(o),
          clock(seams.clock ? *seams.clock : system_clock()),
          own_shell(seams.shell ? nullptr : make_ssh_shell(paths)),
          shell(seams.shell ? *seams.shell : *own_shell) {}

    Provider& provider(const Target& t);
    Target target_of(const Cluster& c) const;
    Cluster load(const std::string& id) const;

    // The one place the engine changes a state: the store checks the lifecycle table.
    bool move(const Instance& i, State to, const std::string& reason);
    void note(const std::string& cluster_id, const std::string& instance_id, EventKind kind,
              const std::string& message);

    // engine_create.cpp
    Cluster wait_for(const std::string& id, std::chrono::seconds timeout, bool destroying);
    Cluster wait_running(const std::string& id, std::chrono::seconds timeout, Ownership& owned);
    // Releases what a failed or interrupted create launched, and says why it ended.
    [[noreturn]] void abort_create(const std::string& id, const Error& error, Ownership& owned,
                                   const std::string& stage);

    // engine_observe.cpp
    void observed_only(const Instance& i, const Observation& o);
    void observe(Cluster& c, const std::map<std::string, Observation>* listed = nullptr);
    Cluster refresh(const std::string& id,
                    const std::map<std::string, Observation>* listed = nullptr);
    void refresh_one(const std::string& id, const std::map<std::string, Observation>* listed);
    std::vector<std::string> refresh_all(const std::string& only_provider);
    // Every provider account the config names, and the default provider.
    std::vector<Target> accounts(const std::string& only_provider) const;
    void check_store_not_lost();
    std::vector<std::string> adopt(const Target& t, Provider& p,
                                   const std::vector<Provider::Discovered>& listed);
    void adopt_unrecorded_launches(Cluster& c);

    // engine_configure.cpp
    void configure(Cluster& c);
    void fail_or_wait(const Cluster& c, const Instance& i, const ProbeResult& p);
    std::string jumphost_setup_script(const Cluster& c, const SshFiles& files);

    // engine_destroy.cpp
    void check_expiry(Cluster& c);
    // Releases first and records after when the store takes no writes (a full disk): see
    // destroy_unrecorded.
    Cluster destroy(const std::string& id, EndReason reason, const std::string& detail, bool wait);
    Cluster destroy_recorded(const std::string& id, EndReason reason, const std::string& detail,
                             bool wait);
    // Terminates and sweeps what the snapshot `c` names without writing to the store, then
    // records it if the store now takes it, else leaves a note that the next grid applies.
    Cluster destroy_unrecorded(const Cluster& c, EndReason reason, const std::string& detail,
                               bool wait);
    void mark_destroying(const std::string& id, EndReason reason, const std::string& detail);
    // Terminates every instance with a provider id that is not DESTROYED, and sweeps up what
    // the provider holds for the cluster beyond them.
    void release(Cluster& c);
    void remove_client_files(const std::string& id);
    void start_watchdog(const Cluster& c);
    void stop_watchdog(const std::string& cluster_id);

    // engine_ownership.cpp
    // Owns the cluster for `kind`: a live owner is asked to stop (a destroy is let finish) and
    // waited for, within a bound; then the cluster is taken from it.
    std::unique_ptr<Ownership> take_over(const std::string& id, OperationKind kind);
    // Finishes the work of an owner that died: an interrupted create is released and FAILED,
    // or resumed where it had launched and set up every node; a destroy is carried on.
    Cluster recover(const std::string& id, const Operation& dead,
                    const std::map<std::string, Observation>* listed);
    // Marks every live instance FAILED with `why` and releases them.
    void abandon_create(const std::string& id, const std::string& why);
};

}  // namespace core
