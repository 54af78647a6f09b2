#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "core/engine.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

bool live(const core::Cluster& c) {
    const auto s = c.status();
    return s != core::State::Destroyed && s != core::State::Destroying && s != core::State::Failed;
}

void run_teardown(Context& ctx, const std::string& cluster, const std::string& job) {
    ctx.global.cluster = cluster;
    while (true) {
        if (!live(ctx.engine().load(cluster))) return;  // destroyed meanwhile: nothing to do
        bool ended = false;
        try {
            const auto c = core::job_category(ctx.scheduler().job(job).state);
            ended = c == core::JobCategory::Completed || c == core::JobCategory::Failed;
        } catch (const core::Error& e) {
            // Slurm forgets an ended job after a while (MinJobAge): gone is ended. Anything
            // else (ssh or slurmctld busy for a moment) is asked again.
            ended = e.kind() == core::ErrorKind::NotFound;
        }
        if (ended) {
            ctx.engine().destroy(cluster, core::EndReason::JobTeardown, "job " + job + " ended",
                                 true);
            return;
        }
        std::this_thread::sleep_for(std::chrono::seconds(2));
    }
}

}  // namespace

void register_teardown(CLI::App& parent, Context& ctx) {
    auto cluster = std::make_shared<std::string>();
    auto job = std::make_shared<std::string>();
    // Started by `queue submit --teardown` as a detached process.
    auto* cmd = parent.add_subcommand("__teardown", "");
    cmd->group("");
    cmd->add_option("CLUSTER", *cluster)->required();
    cmd->add_option("JOB", *job)->required();
    cmd->callback([&ctx, cluster, job] {
        ctx.run = [&ctx, cluster, job] { run_teardown(ctx, *cluster, *job); };
    });
}

}  // namespace cli
