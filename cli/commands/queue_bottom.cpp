#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_bottom(CLI::App& parent, Context& ctx) {
    register_job_action(parent, ctx,
                        {"bottom", "Move pending jobs behind every other in their partition",
                         "move to the bottom", false, is_pending_not_held,
                         "only pending jobs that are not held move; release held ones first",
                         [](core::Scheduler& s, const std::vector<core::Job>& queue,
                            const std::vector<std::string>& ids) {
                             set_priorities(s, core::bottom_priorities(queue, ids));
                         }});
}

}  // namespace cli
