#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/commands/queue_jobs.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

void run_queue_info(Context& ctx, const std::string& id) {
    check_job_id(id);
    const core::Job job = ctx.scheduler().job(id);
    const std::int64_t now = std::time(nullptr);
    if (ctx.json())
        print_job_json(std::cout, job, now);
    else if (ctx.quiet())
        std::cout << job.id << '\n';
    else
        print_job_table(std::cout, job, now, ctx.color_stdout());
}

}  // namespace

void register_queue_info(CLI::App& parent, Context& ctx) {
    auto id = std::make_shared<std::string>();
    auto* cmd = parent.add_subcommand("info", "Show one job");
    cmd->add_option("JOB", *id, "Job id")->required()->type_name("JOB");
    add_examples(
        *cmd, {"grid queue info 41 --cluster train", "grid queue info 41 --profile hpc -o json"});
    cmd->callback([&ctx, id] { ctx.run = [&ctx, id] { run_queue_info(ctx, *id); }; });
}

}  // namespace cli
