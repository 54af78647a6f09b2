#pragma once

// Operations and their owner. Several grid processes share one store (two terminals, CI, the
// TTL watchdog). Every operation that changes a cluster owns it in the store while it works:
// the owning process (host, pid and start time), the operation and a heartbeat. Others read an
// owned cluster but leave its changes to the owner; a destroy asks the owner to stop and
// waits. An owner that died is noticed by the next look, which finishes its work (engine).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/model.hpp"
#include "core/store.hpp"

namespace core {

// This process, as an owner.
const ProcessIdentity& this_process();

// How long an owner may go without a heartbeat before it counts as gone: a process that was
// stopped (SIGSTOP), or one on another machine that shares the store and crashed.
inline constexpr std::chrono::seconds k_owner_stale{60};

// Whether the owner of `op` is gone: its process ended, its pid now names another process, or
// its heartbeat is older than k_owner_stale.
bool owner_gone(const Operation& op, std::int64_t now);

// `kind` on `cluster_id`, owned by this process from now.
Operation new_operation(const std::string& cluster_id, OperationKind kind, const Clock& clock);

// Holds a cluster for one operation: a heartbeat in the store while it lives, and the
// cluster given up when it ends. The heartbeat runs on a thread of its own with a connection
// of its own, so that it beats while the operation waits on a slow step. When another process
// asks the owner to stop (a destroy) or takes the cluster over, the heartbeat raises
// core::interrupted(), which long operations check between their steps.
class Ownership {
  public:
    // Starts holding `op`, which the store already records as the cluster's operation.
    Ownership(Store& store, Clock& clock, Operation op);
    // Neither beats nor releases: this process owned the cluster already (a create whose
    // clean-up destroys what it launched).
    static std::unique_ptr<Ownership> nested(Store& store, Clock& clock, Operation op);
    ~Ownership();
    Ownership(const Ownership&) = delete;
    Ownership& operator=(const Ownership&) = delete;

    const Operation& operation() const { return m_op; }
    // Another process took the cluster over (this one was taken for gone).
    bool lost() const { return m_lost; }
    // Another process asked this one to stop.
    bool stop_requested() const { return m_stop_requested; }
    void set_resumable();

  private:
    struct Nested {};
    Ownership(Store& store, Clock& clock, Operation op, Nested);
    void beat();

    Store& m_store;
    Clock& m_clock;
    Operation m_op;
    bool m_nested = false;
    std::atomic<bool> m_lost{false};
    std::atomic<bool> m_stop_requested{false};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};

// Claims the cluster for `kind`. Returns the ownership, or nothing and the operation that
// holds the cluster when a live owner does (with `force`, the cluster is taken from it). A
// cluster this process owns already gives a nested ownership.
struct Claim {
    std::unique_ptr<Ownership> ownership;
    std::optional<Operation> holder;
};
Claim claim_cluster(Store& store, Clock& clock, const std::string& cluster_id, OperationKind kind,
                    bool force = false);

}  // namespace core
