#include "core/ownership.hpp"

#include <unistd.h>

#include "core/errors.hpp"
#include "core/observer.hpp"
#include "core/process.hpp"

namespace core {

namespace {

// How often the owner looks for a request to stop, and how often it writes its heartbeat.
constexpr std::chrono::milliseconds k_listen_interval{200};
constexpr std::int64_t k_beat_seconds = 5;

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

}  // namespace

const ProcessIdentity& this_process() {
    static const ProcessIdentity self = [] {
        ProcessIdentity p;
        p.host = host_name();
        p.pid = ::getpid();
        p.start_time = process_start_time(::getpid());
        return p;
    }();
    return self;
}

bool owner_gone(const Operation& op, std::int64_t now) {
    const ProcessIdentity& owner = op.owner;
    if (owner.host == this_process().host) {
        const auto pid = static_cast<pid_t>(owner.pid);
        if (!process_alive(pid) || process_start_time(pid) != owner.start_time) return true;
    }
    return now - op.heartbeat_at > k_owner_stale.count();
}

Operation new_operation(const std::string& cluster_id, OperationKind kind, const Clock& clock) {
    Operation op;
    op.cluster_id = cluster_id;
    op.kind = kind;
    op.owner = this_process();
    op.started_at = clock.unix_now();
    op.heartbeat_at = op.started_at;
    return op;
}

Ownership::Ownership(Store& store, Clock& clock, Operation op)
    : m_store(store), m_clock(clock), m_op(std::move(op)) {
    m_thread = std::thread([this] { beat(); });
}

Ownership::Ownership(Store& store, Clock& clock, Operation op, Nested)
    : m_store(store), m_clock(clock), m_op(std::move(op)), m_nested(true) {}

std::unique_ptr<Ownership> Ownership::nested(Store& store, Clock& clock, Operation op) {
    return std::unique_ptr<Ownership>(new Ownership(store, clock, std::move(op), Nested{}));
}

Ownership::~Ownership() {
    if (m_nested) return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
    try {
        m_store.release(m_op.cluster_id, m_op.owner);
    } catch (const Error&) {
        // A store that cannot be written (a full disk) keeps the record; the owner is gone
        // once this process ends, and the next look takes it from there.
    }
}

void Ownership::set_resumable() {
    m_op.resumable = true;
    m_store.set_resumable(m_op.cluster_id, m_op.owner);
}

void Ownership::beat() {
    std::unique_ptr<Store> store;
    std::int64_t last_beat = m_op.heartbeat_at;
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_wake.wait_for(lock, k_listen_interval, [this] { return m_done; })) {
        lock.unlock();
        try {
            // A connection of its own: a connection is not shared between threads.
            if (!store) store = std::make_unique<Store>(Store::open(m_store.path()));
            const auto op = store->operation(m_op.cluster_id);
            if (!op || !(op->owner == m_op.owner)) {
                m_lost = true;
                set_interrupted();
                return;
            }
            if (op->stop_requested && !m_stop_requested) {
                m_stop_requested = true;
                set_interrupted();
            }
            if (const auto now = m_clock.unix_now(); now - last_beat >= k_beat_seconds) {
                store->heartbeat(m_op.cluster_id, m_op.owner, now);
                last_beat = now;
            }
        } catch (const Error&) {
            // A busy or full store: the heartbeat is tried again at the next interval.
        }
        lock.lock();
    }
}

Claim claim_cluster(Store& store, Clock& clock, const std::string& cluster_id, OperationKind kind,
                    bool force) {
    Claim c;
    // Owned by this very process already: the outer operation keeps it.
    if (const auto held = store.operation(cluster_id); held && held->owner == this_process()) {
        c.ownership = Ownership::nested(store, clock, *held);
        return c;
    }
    const Operation op = new_operation(cluster_id, kind, clock);
    const std::int64_t now = op.started_at;
    const Operation holder = store.claim(
        op, [now, force](const Operation& held) { return force || owner_gone(held, now); });
    if (holder.owner == op.owner)
        c.ownership = std::make_unique<Ownership>(store, clock, op);
    else
        c.holder = holder;
    return c;
}

}  // namespace core
