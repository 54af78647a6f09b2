#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/option_checks.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

namespace cli {

namespace {

struct SubmitOptions {
    std::string script;
    std::string wrap;
    std::string partition;
    int nodes = 1;
    int gpus = 0;
    std::string time;
    std::string name;
    bool hold = false;
    bool teardown = false;
};

// A detached grid that waits for the job to end, then destroys the cluster (commands/
// teardown.cpp): it holds whether or not any other grid command runs then.
void start_teardown(Context& ctx, const std::string& job) {
    const std::string cluster = ctx.engine().resolve_cluster(ctx.global.cluster);
    const std::filesystem::path dir = ctx.paths().cluster_dir(cluster);
    core::ensure_dir(dir);
    const std::vector<std::string> env{"GRID_STATE_DIR=" + ctx.paths().state_dir.string(),
                                       "GRID_CONFIG=" + ctx.paths().config_file.string()};
    core::spawn_detached({core::self_executable().string(), "__teardown", cluster, job}, env,
                         dir / ("teardown-" + job + ".log"));
}

void run_queue_submit(Context& ctx, const SubmitOptions& o) {
    if (o.script.empty() == o.wrap.empty())
        throw core::Error(core::ErrorKind::Usage, "give a SCRIPT or --wrap COMMAND, not both",
                          "e.g. grid queue submit --wrap 'python train.py' --gpus 8");
    if (o.nodes < 1) throw core::Error(core::ErrorKind::Usage, "-N must be 1 or more");
    if (o.gpus < 0) throw core::Error(core::ErrorKind::Usage, "--gpus must be 0 or more");
    if (o.teardown && ctx.global.cluster.empty())
        throw core::Error(core::ErrorKind::Usage, "--teardown needs --cluster",
                          "grid destroys only clusters it made: grid queue submit --cluster ID "
                          "--teardown ...");
    core::SubmitRequest r;
    if (!o.wrap.empty()) {
        r.script = "#!/bin/sh\n" + o.wrap + "\n";
    } else {
        const auto text = core::read_file(o.script);
        if (!text)
            throw core::Error(core::ErrorKind::Usage, "cannot read " + o.script,
                              "give the path of a batch script");
        if (text->rfind("#!", 0) != 0)
            throw core::Error(core::ErrorKind::Usage,
                              o.script + " does not start with #! (a batch script's interpreter)",
                              "add a first line such as #!/bin/bash");
        r.script = *text;
    }
    r.name = !o.name.empty()     ? o.name
             : !o.script.empty() ? std::filesystem::path(o.script).filename().string()
                                 : "wrap";
    r.partition = o.partition;
    r.nodes = o.nodes;
    r.gpus = o.gpus;
    if (!o.time.empty()) r.time_limit = core::parse_duration(o.time).count();
    // As sbatch does: the job starts where it was submitted, its output lands there.
    std::error_code ec;
    r.work_dir = std::filesystem::current_path(ec).string();
    r.output = r.work_dir + "/slurm-%j.out";
    r.hold = o.hold;
    const std::string id = ctx.scheduler().submit(r);
    if (o.teardown) start_teardown(ctx, id);
    if (ctx.json())
        std::cout << "{\n  \"id\": \"" << id << "\"\n}\n";
    else
        std::cout << id << '\n';
}

}  // namespace

void register_queue_submit(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<SubmitOptions>();
    auto* cmd = parent.add_subcommand("submit", "Submit a batch job: a script, or --wrap COMMAND");
    cmd->add_option("SCRIPT", o->script, "Batch script to run (its #! line picks the shell)");
    cmd->add_option("--wrap", o->wrap, "Run this command instead of a script")
        ->type_name("COMMAND");
    decimal(cmd->add_option("-N,--nodes", o->nodes, "Nodes (default 1)"))->type_name("N");
    decimal(cmd->add_option("--gpus", o->gpus, "GPUs for the whole job"))->type_name("N");
    cmd->add_option("--time", o->time, "Time limit, e.g. 30m, 2h (default: the partition's)")
        ->type_name("DUR");
    cmd->add_option("-p,--partition", o->partition, "Partition (default: the cluster's default)")
        ->type_name("PARTITION");
    cmd->add_option("--name", o->name, "Job name (default: the script's file name)")
        ->type_name("NAME");
    cmd->add_flag("--hold", o->hold, "Submit held: it starts once released");
    cmd->add_flag("--teardown", o->teardown,
                  "Destroy the cluster (--cluster) once the job has ended");
    add_examples(*cmd, {"grid queue submit --cluster train --gpus 8 --wrap 'python train.py'",
                        "grid queue submit --profile hpc -N 2 --time 4h train.sbatch"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_queue_submit(ctx, *o); }; });
}

}  // namespace cli
