#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/lifecycle.hpp"

namespace core {

// What a provider sells: "8xH100" is 8 H100 GPUs in one node.
struct InstanceType {
    std::string name;       // grid's name, e.g. "8xH100"
    std::string gpu_model;  // "H100"
    int gpu_count = 0;
    int gpu_memory_gb = 0;  // per GPU
    int vcpus = 0;
    int memory_gb = 0;
    double price_per_hour = 0;  // USD per node-hour
    int available = 0;          // nodes that could be launched now
    bool multi_node = true;
    bool emulated = false;  // GPUs are not real (local provider)
    std::vector<std::string> regions;
};

struct Instance {
    std::string id;  // "{cluster}-jumphost" or "{cluster}-N"
    std::string cluster_id;
    Role role = Role::Worker;
    int index = 0;  // -1 for the jumphost
    State state = State::Pending;
    std::string state_reason;  // why the last transition happened (shown for FAILED)
    std::string provider_id;   // the provider's own id once launched
    std::string public_ip;
    std::string private_ip;
    int ssh_port = 22;
    std::string ssh_user;
    std::string host_key;  // "ssh-ed25519 AAAA..." when the provider reports it
    std::string gpu_model;
    int gpu_count = 0;
    // USD an hour, as the provider priced the instance's type when it was launched: cost and
    // extensions are billed at it, whatever the price is later.
    double price_per_hour = 0;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

// How a cluster's nodes are laid out: one node, or a jumphost in front of workers on a
// private network.
enum class Topology { Single, Jumphost };
const char* to_string(Topology topology);  // "single", "jumphost"

// A key authorized on every node of a cluster (besides the cluster's own).
struct ClusterKey {
    std::string public_key;  // one line, "type base64 [comment]"
    std::string fingerprint;
    std::string name;
    std::int64_t added_at = 0;
};

struct Cluster {
    std::string id;
    std::string name;
    std::string provider;  // backend name, e.g. "local"
    std::string profile;   // config profile the cluster was created with ("" = none)
    std::string region;
    std::string type;  // instance type name of the workers
    int nodes = 1;     // workers (a multi-node cluster also has a jumphost)
    std::string container;
    std::string group;  // "category:group"
    std::map<std::string, std::string> labels;
    Topology topology = Topology::Single;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::optional<std::int64_t> expires_at;  // from --ttl
    std::optional<std::int64_t> ended_at;
    bool archived = false;
    EndReason end_reason = EndReason::None;
    std::string end_detail;
    // While on, nothing destroys the cluster: not a user, its TTL, idleness or a job's end.
    bool deletion_protection = false;
    std::optional<std::int64_t> idle_timeout;  // seconds
    std::vector<Instance> instances;           // jumphost first, then workers by index

    State status() const;
    bool multi_node() const { return topology == Topology::Jumphost; }
    // USD an hour for all its instances that are not ended, at their recorded prices.
    double price_per_hour() const;
};

// Storage that outlives clusters, attached to any number of them (on every node, at
// /mnt/NAME).
struct Volume {
    std::string name;
    std::string provider;
    std::string profile;
    std::string region;
    int size_gb = 0;
    std::string provider_id;  // the provider's own id for it, where it has one
    std::int64_t created_at = 0;
    std::vector<std::string> attached_to;  // cluster ids
};

// What lists show of a cluster: everything but the instances. The store keeps the status of
// each cluster up to date with its instances, so a list reads one table.
struct ClusterSummary {
    std::string id;
    std::string name;
    State status = State::Pending;
    std::string provider;
    std::string profile;
    std::string type;
    int nodes = 1;
    int gpus = 0;
    std::string group;
    std::map<std::string, std::string> labels;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> expires_at;
    std::optional<std::int64_t> ended_at;
    bool archived = false;
    EndReason end_reason = EndReason::None;
    std::string end_detail;
};
ClusterSummary summarize(const Cluster& cluster);
// Gives a planned cluster another id, its instances' names with it.
void set_cluster_id(Cluster& cluster, const std::string& id);

// What an event records. Stored by name, which `grid cluster events` shows.
enum class EventKind {
    Created,     // the cluster was recorded
    Transition,  // an instance changed state
    Observed,    // the provider said what the lifecycle does not apply, or a launch was found
    Found,       // instances at a provider under grid's names that the store did not know
    Archived,
    Note,         // the engine's own account: a take-over, a recovery, an expiry
    Edited,       // a change applied: name, TTL, protection, keys, volumes
    EditRefused,  // a change tried and not applied, and why
    HeldBack,     // deletion protection held back a destroy that the TTL, idleness or a job asked
};
const char* to_string(EventKind kind);
// A name this grid does not know (a newer grid's) reads as a note.
EventKind parse_event_kind(std::string_view text);

struct Event {
    std::int64_t id = 0;
    std::int64_t at_ms = 0;
    std::string cluster_id;
    std::string instance_id;  // empty for cluster-wide events
    EventKind kind = EventKind::Note;
    std::optional<State> from;
    std::optional<State> to;
    std::string message;
};

// The process that owns an operation. The start time tells a live process from a later one
// that was given the same pid.
struct ProcessIdentity {
    std::string host;
    std::int64_t pid = 0;
    std::int64_t start_time = 0;  // in clock ticks since boot, as /proc/PID/stat has it
    bool operator==(const ProcessIdentity&) const = default;
};

// What changes a cluster. One operation at a time owns a cluster (see core/ownership).
// Unknown: an operation of a newer grid, which this one cannot finish.
enum class OperationKind { Create, Destroy, Unknown };
const char* to_string(OperationKind kind);
std::optional<OperationKind> parse_operation_kind(std::string_view text);

struct Operation {
    std::string cluster_id;
    OperationKind kind = OperationKind::Create;
    ProcessIdentity owner;
    std::int64_t started_at = 0;    // unix seconds
    std::int64_t heartbeat_at = 0;  // unix seconds; the owner writes it while it works
    // Past the point where a successor finishes the operation instead of undoing it: a create
    // whose instances are launched and set up only waits for ssh.
    bool resumable = false;
    bool stop_requested = false;  // another process asked the owner to stop
};

struct SshKey {
    std::string name;
    std::string public_key;  // one line, "type base64 [comment]"
    std::string fingerprint;
    std::int64_t created_at = 0;
};

}  // namespace core
