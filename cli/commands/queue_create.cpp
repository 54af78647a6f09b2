#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

struct CreateOptions {
    std::string name;
    std::string nodes = "ALL";
    bool is_default = false;
    std::string default_time, max_time;
};

void run_queue_create(Context& ctx, const CreateOptions& o) {
    core::PartitionSpec spec;
    spec.name = o.name;
    spec.nodes = o.nodes;
    spec.is_default = o.is_default;
    if (!o.default_time.empty()) spec.default_time = core::parse_duration(o.default_time).count();
    if (!o.max_time.empty()) spec.max_time = core::parse_duration(o.max_time).count();
    if (spec.default_time && spec.max_time && *spec.default_time > *spec.max_time)
        throw core::Error(core::ErrorKind::Usage, "--default-time is longer than --max-time",
                          "a job's default limit must fit under the partition's maximum");
    core::Scheduler& s = ctx.scheduler();
    s.create_partition(spec);
    print_partition(std::cout, s.partitions(), o.name, ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_queue_create(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<CreateOptions>();
    auto* cmd = parent.add_subcommand("create", "Create a partition (queue); needs Slurm admin");
    cmd->add_option("PARTITION", o->name, "Name of the new partition")->required();
    cmd->add_option("--nodes", o->nodes, "Its nodes, as a Slurm host list (default: ALL)");
    cmd->add_flag("--default", o->is_default, "Make it the cluster's default partition");
    cmd->add_option("--default-time", o->default_time,
                    "Time limit of jobs that ask for none, e.g. 1h");
    cmd->add_option("--max-time", o->max_time, "Longest time limit a job may ask for, e.g. 1d");
    add_examples(*cmd, {"grid queue create short --max-time 1h --profile hpc",
                        "grid queue create big --nodes node[1-8] --default-time 4h --profile hpc"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_queue_create(ctx, *o); }; });
}

}  // namespace cli
