#pragma once

// The queue: jobs, partitions and nodes of a Slurm cluster (or another scheduler), as grid
// shows them. A Scheduler is a backend, registered by name like a Provider.

#include <cstdint>
#include <filesystem>
#include <functional>
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

struct SchedulerContext {
    std::string name;   // the backend's registered name
    Settings settings;  // the profile
    std::filesystem::path state_dir;
    std::function<void(const std::string&)> trace;  // -vv, secrets already taken out
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
};

}  // namespace core
