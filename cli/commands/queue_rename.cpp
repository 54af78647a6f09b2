#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"

namespace cli {

namespace {

struct RenameOptions {
    std::string from, to;
};

void run_queue_rename(Context& ctx, const RenameOptions& o) {
    core::Scheduler& s = ctx.scheduler();
    s.rename_partition(o.from, o.to);
    print_partition(std::cout, s.partitions(), o.to, ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_queue_rename(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<RenameOptions>();
    auto* cmd = parent.add_subcommand(
        "rename", "Rename a partition (queue); its pending jobs go with it; needs Slurm admin");
    cmd->add_option("OLD", o->from, "Partition to rename")->required()->type_name("PARTITION");
    cmd->add_option("NEW", o->to, "Its new name")->required();
    add_examples(*cmd, {"grid queue rename debug short --profile hpc"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_queue_rename(ctx, *o); }; });
}

}  // namespace cli
