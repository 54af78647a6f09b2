#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_cancel(CLI::App& parent, Context& ctx) {
    register_job_action(parent, ctx,
                        {"cancel", "Cancel jobs, pending or running", "cancel", true, is_active,
                         "only pending and running jobs can be cancelled",
                         [](core::Scheduler& s, const std::vector<core::Job>&,
                            const std::vector<std::string>& ids) {
                             for (const auto& id : ids)
                                 s.cancel(id);
                         }});
}

}  // namespace cli
