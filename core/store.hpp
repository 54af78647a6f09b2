#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/model.hpp"

namespace core {

// What went wrong with the state store, for the callers that act on it: a destroy goes on
// when the disk is full, an open is retried while another process sets a new store up.
class StoreError : public Error {
  public:
    enum class Cause { Busy, Full, Damaged, ReadOnly, Io, Other };
    StoreError(Cause cause, std::string message, std::string hint)
        : Error(ErrorKind::Other, std::move(message), std::move(hint)), m_cause(cause) {}
    Cause cause() const { return m_cause; }

  private:
    Cause m_cause;
};

struct ClusterQuery {
    bool include_archived = false;
    std::string provider;  // empty = any
    // false: only what a table shows (id, name, status, provider, type, nodes, gpus,
    // created_at, expires_at); the other fields of ClusterSummary stay empty.
    bool details = true;
};

// The state store: one SQLite database in WAL mode. Every write is its own IMMEDIATE
// transaction, so concurrent grid processes queue on the busy timeout instead of failing.
class Store {
  public:
    // Opens (creating if needed) and migrates the database at `path`.
    static Store open(const std::filesystem::path& path);
    ~Store();
    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;

    int schema_version() const;
    const std::filesystem::path& path() const;

    // A new cluster with its instances (all PENDING) and a "created" event, atomically. With
    // `owner`, the cluster is owned by that operation from the same transaction on: no other
    // process ever sees it unowned while it is being created. Names are checked in the same
    // transaction: one that a cluster not archived uses, or that starts another cluster's id,
    // is an error (InvalidState). Returns false, inserting nothing, when the id starts with
    // another cluster's name (the name would then stand for two clusters): pick another id.
    bool insert_cluster(const Cluster& cluster, const Operation* owner = nullptr,
                        const std::vector<ClusterKey>& keys = {});

    std::optional<Cluster> find_cluster(const std::string& id) const;
    std::vector<Cluster> list_clusters(const ClusterQuery& query = {}) const;
    // The same clusters without their instances, oldest first: what `cluster list` needs,
    // read from one table.
    std::vector<ClusterSummary> list_summaries(const ClusterQuery& query = {}) const;
    // All clusters, archived included: an upper bound for any query, read without a scan.
    std::size_t cluster_count() const;

    // Throws core::Error (InvalidState) when `name` cannot name a new cluster: a cluster not
    // archived uses it, or a cluster's id starts with it.
    void check_name_free(const std::string& name) const;

    // Candidate ids for what a user typed: exact id, exact name, then id prefix.
    std::vector<std::string> ids_with_name(const std::string& name, bool include_archived) const;
    std::vector<std::string> ids_with_prefix(const std::string& prefix,
                                             bool include_archived) const;

    // Moves an instance from `from` to `to` if it is still in `from` and the lifecycle allows it,
    // recording a "transition" event in the same transaction. Returns false when another process
    // moved the instance first. Throws core::Error (InvalidState) for a transition the table
    // forbids.
    bool transition(const std::string& instance_id, State from, State to,
                    const std::string& reason);

    // Provider facts about an instance: provider id, addresses, port, user, host key, price.
    void update_instance_endpoint(const Instance& instance);

    void record_event(const Event& event);
    std::vector<Event> events(const std::string& cluster_id, std::int64_t since_ms = 0) const;

    // Sets the end reason once (the first reason wins: a TTL expiry racing a user's destroy
    // keeps whichever was recorded first).
    void set_end_reason(const std::string& cluster_id, EndReason reason, const std::string& detail);
    void set_archived(const std::string& cluster_id);
    void set_expiry(const std::string& cluster_id, std::optional<std::int64_t> expires_at);

    // The operation that owns a cluster, if any (core/ownership decides whether its owner lives).
    std::optional<Operation> operation(const std::string& cluster_id) const;
    // Makes `op` the cluster's owner, unless an owner that `gone` does not call gone holds it.
    // Returns the operation that owns the cluster afterwards: `op` when the claim succeeded.
    Operation claim(const Operation& op, const std::function<bool(const Operation&)>& gone);
    // The owner says it is still at work. False when `owner` no longer owns the cluster.
    bool heartbeat(const std::string& cluster_id, const ProcessIdentity& owner, std::int64_t now);
    void set_resumable(const std::string& cluster_id, const ProcessIdentity& owner);
    // Asks whoever owns the cluster to stop; its heartbeat notices.
    void request_stop(const std::string& cluster_id);
    // Gives the cluster up, if `owner` still owns it.
    void release(const std::string& cluster_id, const ProcessIdentity& owner);

    // A destroy that released a cluster but could not record it (a full disk) leaves a note
    // beside the database: an empty file, which needs no room for data. The next open of the
    // store records what the note says (the cluster's live instances DESTROYING, its end
    // reason), and the next look at the provider confirms them DESTROYED.
    void defer_destroy(const std::string& cluster_id, EndReason reason) const;

    void add_key(const SshKey& key);
    std::vector<SshKey> keys() const;

  private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace core
