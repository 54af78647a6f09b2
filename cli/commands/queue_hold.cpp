#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_hold(CLI::App& parent, Context& ctx) {
    register_job_action(parent, ctx,
                        {"hold", "Keep pending jobs from starting until released", "hold", false,
                         is_pending, "only pending jobs can be held",
                         [](core::Scheduler& s, const std::vector<core::Job>&,
                            const std::vector<std::string>& ids) {
                             core::JobUpdate u;
                             u.hold = true;
                             for (const auto& id : ids)
                                 s.update(id, u);
                         }});
}

}  // namespace cli
