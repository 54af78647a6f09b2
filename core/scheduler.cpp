#include "core/scheduler.hpp"

#include <algorithm>

namespace core {

JobCategory job_category(const std::string& state) {
    static const char* const running[] = {"RUNNING",   "COMPLETING", "CONFIGURING",
                                          "STAGE_OUT", "SIGNALING",  "RESIZING"};
    static const char* const pending[] = {"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                                          "RESV_DEL_HOLD"};
    static const char* const failed[] = {"FAILED",    "CANCELLED",     "TIMEOUT",
                                         "NODE_FAIL", "BOOT_FAIL",     "DEADLINE",
                                         "PREEMPTED", "OUT_OF_MEMORY", "REVOKED"};
    auto in = [&](const auto& list) {
        return std::find(std::begin(list), std::end(list), state) != std::end(list);
    };
    if (in(running)) return JobCategory::Running;
    if (in(pending)) return JobCategory::Pending;
    if (state == "COMPLETED") return JobCategory::Completed;
    if (in(failed)) return JobCategory::Failed;
    return JobCategory::Unknown;  // SUSPENDED, SPECIAL_EXIT, and words a newer Slurm adds
}

const char* to_string(JobCategory category) {
    switch (category) {
        case JobCategory::Running:
            return "Running";
        case JobCategory::Pending:
            return "Pending";
        case JobCategory::Completed:
            return "Completed";
        case JobCategory::Failed:
            return "Failed";
        case JobCategory::Unknown:
            break;
    }
    return "Unknown";
}

std::int64_t job_run_time(const Job& job, std::int64_t now) {
    if (job.start_time <= 0) return 0;
    const std::int64_t end =
        job_category(job.state) == JobCategory::Running || job.end_time <= 0 ? now : job.end_time;
    return std::max<std::int64_t>(0, std::min(end, now) - job.start_time);
}

namespace {

const Job* find_job(const std::vector<Job>& queue, const std::string& id) {
    for (const auto& j : queue)
        if (j.id == id) return &j;
    return nullptr;
}

// The highest (or lowest) priority among the pending jobs of a partition, the moved ones left
// out.
std::optional<std::int64_t> extreme(const std::vector<Job>& queue, const std::string& partition,
                                    const std::vector<std::string>& moved, bool highest) {
    std::optional<std::int64_t> out;
    for (const auto& j : queue) {
        if (j.partition != partition || job_category(j.state) != JobCategory::Pending) continue;
        if (std::find(moved.begin(), moved.end(), j.id) != moved.end()) continue;
        if (j.priority <= 0) continue;  // held
        if (!out || (highest ? j.priority > *out : j.priority < *out)) out = j.priority;
    }
    return out;
}

}  // namespace

std::map<std::string, std::int64_t> top_priorities(const std::vector<Job>& queue,
                                                   const std::vector<std::string>& ids) {
    std::map<std::string, std::int64_t> out;
    // Slurm's priorities are 32-bit; the first job named gets the highest.
    constexpr std::int64_t k_max = 0xFFFFFFFELL;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const Job* j = find_job(queue, ids[k]);
        if (!j) continue;
        const auto top = extreme(queue, j->partition, ids, true);
        const std::int64_t base = std::min(top.value_or(j->priority) + 1, k_max - 1000);
        out[ids[k]] = base + static_cast<std::int64_t>(ids.size() - k);
    }
    return out;
}

std::map<std::string, std::int64_t> bottom_priorities(const std::vector<Job>& queue,
                                                      const std::vector<std::string>& ids) {
    std::map<std::string, std::int64_t> out;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const Job* j = find_job(queue, ids[k]);
        if (!j) continue;
        const auto bottom = extreme(queue, j->partition, ids, false);
        // Priority 0 means held to Slurm: the lowest a runnable job can have is 1.
        const std::int64_t base =
            bottom.value_or(j->priority) - 1 - static_cast<std::int64_t>(ids.size());
        out[ids[k]] = std::max<std::int64_t>(1, base + static_cast<std::int64_t>(ids.size() - k));
    }
    return out;
}

}  // namespace core
