#pragma once

// What the commands that act on jobs (cancel, hold, release, top, bottom, move) share: JOB...
// parsed and checked, every job found and in a state the action applies to before any is
// touched, then the jobs shown as they are afterwards.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/scheduler.hpp"

namespace CLI {
class App;
}

namespace cli {

class Context;

struct JobAction {
    const char* name;          // the subcommand
    const char* description;   // for --help
    const char* verb;          // for messages: "cancel", "hold", ...
    bool destructive = false;  // asks on a terminal, needs --yes otherwise
    // Whether the action applies to a job in this state; `why` says what would.
    std::function<bool(const core::Job&)> applies;
    const char* why = "";
    // Acts on the jobs (all found and applicable); `queue` is every job, before.
    std::function<void(core::Scheduler&, const std::vector<core::Job>& queue,
                       const std::vector<std::string>& ids)>
        act;
};

// Adds the subcommand; returns it, for options of its own.
CLI::App* register_job_action(CLI::App& parent, Context& ctx, JobAction action);

// Throws a usage error unless `id` can be a job id: a number, or NUMBER_TASK.
void check_job_id(const std::string& id);

bool is_pending(const core::Job& job);
bool is_active(const core::Job& job);  // pending or running
// Held jobs have priority 0 to Slurm, which refuses a new priority for them.
bool is_pending_not_held(const core::Job& job);
void set_priorities(core::Scheduler& s, const std::map<std::string, std::int64_t>& priorities);

}  // namespace cli
