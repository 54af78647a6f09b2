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

}  // namespace core
