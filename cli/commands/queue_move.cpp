#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"

namespace cli {

void register_queue_move(CLI::App& parent, Context& ctx) {
    auto partition = std::make_shared<std::string>();
    auto* cmd =
        register_job_action(parent, ctx,
                            {"move", "Move pending jobs to another partition (queue)", "move",
                             false, is_pending, "only pending jobs can change partition",
                             [partition](core::Scheduler& s, const std::vector<core::Job>&,
                                         const std::vector<std::string>& ids) {
                                 core::JobUpdate u;
                                 u.partition = *partition;
                                 for (const auto& id : ids)
                                     s.update(id, u);
                             }});
    cmd->add_option("-p,--partition", *partition, "The partition to move them to")
        ->required()
        ->type_name("PARTITION");
}

}  // namespace cli
