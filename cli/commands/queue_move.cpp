#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"
#include "cli/help_text.hpp"

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
    add_examples(*cmd, {"grid queue move 41 -p short --cluster train",
                        "grid queue move 41 42 --partition gpu --profile hpc"});
}

}  // namespace cli
