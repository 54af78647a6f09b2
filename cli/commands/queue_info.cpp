#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

void run_queue_info(Context& ctx, const std::string& id) {
    // Job ids are numbers, or NUMBER_TASK for an array task: anything else cannot exist.
    const bool valid = !id.empty() && id.find_first_not_of("0123456789_") == std::string::npos &&
                       id.front() != '_';
    if (!valid)
        throw core::Error(core::ErrorKind::Usage, "'" + id + "' is not a job id",
                          "job ids are numbers, as grid queue list shows them");
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
    cmd->add_option("JOB", *id, "Job id")->required();
    cmd->callback([&ctx, id] { ctx.run = [&ctx, id] { run_queue_info(ctx, *id); }; });
}

}  // namespace cli
