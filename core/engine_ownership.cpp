// ownership: an operation takes its cluster from whoever holds it (asking a live owner to
// stop first), and the next look at a cluster whose owner died finishes that owner's work.

#include <algorithm>

#include "core/engine_impl.hpp"
#include "core/errors.hpp"

namespace core {

namespace {

// How long an operation waits for the owner of its cluster to stop before it takes the
// cluster anyway: long enough for a create to release what it launched.
constexpr std::chrono::seconds k_stop_wait{60};
constexpr std::chrono::milliseconds k_claim_interval{100};

std::string describe_owner(const Operation& op) {
    return "the grid process " + std::to_string(op.owner.pid) +
           (op.owner.host == this_process().host ? "" : " on " + op.owner.host) + " (" +
           to_string(op.kind) + ")";
}

}  // namespace

std::unique_ptr<Ownership> Engine::Impl::take_over(const std::string& id, OperationKind kind) {
    Claim claim = claim_cluster(store, clock, id, kind);
    if (claim.ownership) return std::move(claim.ownership);
    const Operation holder = *claim.holder;
    // A destroy is let finish; anything else is asked to stop, and cleans up after itself.
    if (holder.kind != OperationKind::Destroy) store.request_stop(id);
    observer.on_progress("waiting for " + describe_owner(holder) + " to stop");
    const auto deadline = clock.now() + k_stop_wait;
    while (clock.now() < deadline) {
        clock.sleep(k_claim_interval);
        claim = claim_cluster(store, clock, id, kind);
        if (claim.ownership) return std::move(claim.ownership);
    }
    // Its heartbeat tells it that it lost the cluster, and it stops without touching it.
    observer.on_warning(id + ": " + describe_owner(holder) + " did not stop within " +
                        std::to_string(k_stop_wait.count()) + " s; taking the cluster over");
    note(id, "", EventKind::Note, "taken over from " + describe_owner(holder));
    claim = claim_cluster(store, clock, id, kind, /*force=*/true);
    return std::move(claim.ownership);
}

Cluster Engine::Impl::recover(const std::string& id, const Operation& dead,
                              const std::map<std::string, Observation>* listed) {
    // Whoever claims first finishes the work, under the dead owner's operation, so that a
    // recovery that dies in turn is finished the same way.
    Claim claim = claim_cluster(store, clock, id, dead.kind);
    if (!claim.ownership) return load(id);
    if (dead.resumable) claim.ownership->set_resumable();
    note(id, "", EventKind::Note,
         "the grid process " + std::to_string(dead.owner.pid) + " that ran " +
             to_string(dead.kind) + " is gone; finishing its work");
    switch (dead.kind) {
        case OperationKind::Create:
            if (!dead.resumable) {
                abandon_create(id, "grid was killed");
                return load(id);
            }
            // Launched and set up: what is left is waiting for ssh, which any look does.
            break;
        case OperationKind::Destroy: {
            const Cluster c = load(id);
            const EndReason reason =
                c.end_reason == EndReason::None ? EndReason::DestroyedByUser : c.end_reason;
            return destroy(id, reason, c.end_detail, true);
        }
        case OperationKind::Unknown:
            break;
    }
    claim.ownership.reset();
    Cluster c = refresh(id, listed);
    if (dead.kind == OperationKind::Create && c.status() == State::Failed) {
        std::string why;
        for (const auto& i : c.instances)
            if (i.state == State::Failed) why = i.id + ": " + i.state_reason;
        c = destroy(id, EndReason::Failed, why, true);
    }
    return c;
}

void Engine::Impl::abandon_create(const std::string& id, const std::string& why) {
    store.set_end_reason(id, EndReason::Interrupted, why);
    Cluster c = load(id);
    for (const auto& i : c.instances)
        if (is_live(i.state) && i.state != State::Destroying)
            move(i, State::Failed, "interrupted: " + why);
    c = load(id);
    release(c);
    if (std::any_of(c.instances.begin(), c.instances.end(),
                    [](const Instance& i) { return i.state == State::Destroying; }))
        c = wait_for(id, std::chrono::minutes(10), /*destroying=*/true);
    remove_client_files(id);
}

}  // namespace core
