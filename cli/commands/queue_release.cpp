#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_release(CLI::App& parent, Context& ctx) {
    register_job_action(parent, ctx,
                        {"release", "Let held jobs start again", "release", false, is_pending,
                         "only pending (held) jobs can be released",
                         [](core::Scheduler& s, const std::vector<core::Job>&,
                            const std::vector<std::string>& ids) {
                             core::JobUpdate u;
                             u.hold = false;
                             for (const auto& id : ids)
                                 s.update(id, u);
                         }});
}

}  // namespace cli
