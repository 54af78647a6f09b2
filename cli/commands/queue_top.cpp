#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_top(CLI::App& parent, Context& ctx) {
    register_job_action(parent, ctx,
                        {"top", "Move pending jobs ahead of every other in their partition",
                         "move to the top", false, is_pending_not_held,
                         "only pending jobs that are not held move; release held ones first",
                         [](core::Scheduler& s, const std::vector<core::Job>& queue,
                            const std::vector<std::string>& ids) {
                             set_priorities(s, core::top_priorities(queue, ids));
                         }});
}

}  // namespace cli
