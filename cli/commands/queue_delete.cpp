#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

void run_queue_delete(Context& ctx, const std::string& name) {
    core::Scheduler& s = ctx.scheduler();
    if (!ctx.confirm("delete partition " + name, "pass --yes to delete without asking"))
        throw core::Error(core::ErrorKind::Usage, "not confirmed; nothing was deleted");
    // Only an empty partition goes: the scheduler refuses one with jobs (exit 4).
    s.delete_partition(name);
    if (ctx.json())
        std::cout << nlohmann::json{{"partition", name}, {"deleted", true}}.dump(2) << '\n';
    else
        std::cout << name << '\n';
}

}  // namespace

void register_queue_delete(CLI::App& parent, Context& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = parent.add_subcommand(
        "delete",
        "Delete a partition (queue) that has no pending or running jobs; needs Slurm admin");
    cmd->add_option("PARTITION", *name, "Partition to delete")->required()->type_name("PARTITION");
    add_examples(*cmd, {"grid queue delete short --profile hpc"});
    cmd->callback([&ctx, name] { ctx.run = [&ctx, name] { run_queue_delete(ctx, *name); }; });
}

}  // namespace cli
