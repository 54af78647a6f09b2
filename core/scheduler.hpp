#pragma once

// The queue: jobs, partitions and nodes of a Slurm cluster (or another scheduler), as grid
// shows them. A Scheduler is a backend, registered by name like a Provider.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace core {

struct Job {
    std::string id;  // "123", or "123_4" for an array task
    std::string name;
    std::string user;
    std::string partition;
    std::string state;   // the scheduler's word: PENDING, RUNNING, COMPLETED, FAILED, ...
    std::string reason;  // why it is pending or ended ("Resources", "Priority", ...)
    int nodes = 0;
    int gpus = 0;  // over all its nodes
    std::string node_list;
    std::int64_t submit_time = 0;  // unix seconds; 0 = not yet
    std::int64_t start_time = 0;
    std::int64_t end_time = 0;
    std::optional<std::int64_t> time_limit;  // seconds; none = unlimited
    std::int64_t priority = 0;
    int exit_code = 0;
    std::string command;
    std::string work_dir;
    std::string stdout_path;
};

// The counters of `queue list`.
enum class JobCategory { Running, Pending, Completed, Failed, Unknown };
JobCategory job_category(const std::string& state);
const char* to_string(JobCategory category);
// Seconds it has run: until now while running, until its end once ended, 0 before it starts.
std::int64_t job_run_time(const Job& job, std::int64_t now);

struct Partition {
    std::string name;
    bool is_default = false;
    std::string state;  // UP, DOWN, DRAIN, INACTIVE
    int nodes = 0;
    std::string gpu_type;  // "h100"; empty when its nodes have no GPUs
    int gpus_total = 0;
    int gpus_available = 0;                    // not allocated, on nodes that can take jobs
    std::optional<std::int64_t> default_time;  // seconds; none = unlimited
    std::optional<std::int64_t> max_time;
};

struct QueueNode {
    std::string name;
    std::string state;  // IDLE, ALLOCATED, MIXED, DOWN, DRAIN, UNKNOWN
    std::vector<std::string> partitions;
    int cpus = 0;
    double cpu_load = 0;  // the load average
    std::int64_t memory_mb = 0;
    std::int64_t memory_allocated_mb = 0;
    std::string gpu_type;
    int gpus_total = 0;
    int gpus_allocated = 0;
    std::string reason;  // why it is down or drained
};

struct SubmitRequest {
    std::string script;  // the batch script, "#!..." first
    std::string name;
    std::string partition;  // empty: the cluster's default
    int nodes = 1;
    int gpus = 0;                            // over the whole job
    std::optional<std::int64_t> time_limit;  // seconds; none: the partition's default
    std::string work_dir;
    std::string output;  // Slurm's file pattern, e.g. "/home/a/slurm-%j.out"
    std::map<std::string, std::string> environment;
    bool hold = false;
};

// What an update changes; unset fields stay as they are.
struct JobUpdate {
    std::optional<bool> hold;  // false releases
    std::optional<std::int64_t> priority;
    std::optional<std::string> partition;
};

// A new partition (a queue). Slurm's own defaults apply to what is not set.
struct PartitionSpec {
    std::string name;
    std::string nodes = "ALL";  // a Slurm host list, e.g. "node[1-4]"
    bool is_default = false;
    std::optional<std::int64_t> default_time;  // seconds; none = the cluster's default
    std::optional<std::int64_t> max_time;      // seconds; none = unlimited
};

struct SchedulerContext {
    std::string name;   // the backend's registered name
    Settings settings;  // the profile
    std::filesystem::path state_dir;
    std::function<void(const std::string&)> trace;  // -vv, secrets already taken out
    // A cluster grid made: ssh's argv to its head node (ending with the host), and its name.
    // The settings are not used then.
    std::vector<std::string> head_node_ssh;
    std::string head_node_name;
    // How long a caller waits for one reply, if less than the profile says: a shell completing
    // a word waits a second or two, once, not half a minute with retries.
    std::optional<std::chrono::milliseconds> patience;
};

class Scheduler {
  public:
    virtual ~Scheduler() = default;

    // Every job the scheduler still lists, ended ones included for a while.
    virtual std::vector<Job> jobs() = 0;
    // Throws core::Error (NotFound) for an unknown job.
    virtual Job job(const std::string& id) = 0;
    virtual std::vector<Partition> partitions() = 0;
    virtual std::vector<QueueNode> nodes() = 0;

    // Returns the new job's id.
    virtual std::string submit(const SubmitRequest& request) = 0;
    // Each throws core::Error (NotFound) for an unknown job.
    virtual void cancel(const std::string& id) = 0;
    virtual void update(const std::string& id, const JobUpdate& update) = 0;

    // Partitions (an administrator's work). Each throws core::Error: NotFound for an unknown
    // partition, InvalidState for a name in use or a partition that still has jobs.
    virtual void create_partition(const PartitionSpec& spec) = 0;
    virtual void delete_partition(const std::string& name) = 0;
    // Pending jobs go with the partition; running ones must end first (InvalidState).
    virtual void rename_partition(const std::string& from, const std::string& to) = 0;
};

// Priorities that put the jobs ahead of (top) or behind (bottom) every other pending job of
// their partitions, in the order given: job id -> priority.
std::map<std::string, std::int64_t> top_priorities(const std::vector<Job>& queue,
                                                   const std::vector<std::string>& ids);
std::map<std::string, std::int64_t> bottom_priorities(const std::vector<Job>& queue,
                                                      const std::vector<std::string>& ids);

}  // namespace core
