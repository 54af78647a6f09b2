#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

struct QueueListOptions {
    std::vector<std::string> states;
    std::string partition;
    std::string user;
};

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// A state is Slurm's word (PENDING, CD is not accepted) or one of the counters (running,
// failed, ...), which covers all the words counted under it.
bool state_matches(const core::Job& j, const std::vector<std::string>& wanted) {
    if (wanted.empty()) return true;
    const std::string category = upper(core::to_string(core::job_category(j.state)));
    return std::any_of(wanted.begin(), wanted.end(),
                       [&](const std::string& w) { return w == j.state || w == category; });
}

void run_queue_list(Context& ctx, const QueueListOptions& o) {
    std::vector<std::string> states;
    for (const auto& s : o.states)
        states.push_back(upper(s));
    const auto jobs = ctx.scheduler().jobs();
    std::vector<const core::Job*> shown;
    for (const auto& j : jobs) {
        if (!state_matches(j, states)) continue;
        if (!o.partition.empty() && j.partition != o.partition) continue;
        if (!o.user.empty() && j.user != o.user) continue;
        shown.push_back(&j);
    }
    print_jobs(std::cout, shown, std::time(nullptr), ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_queue_list(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<QueueListOptions>();
    auto* cmd = parent.add_subcommand("list", "List the jobs of a Slurm queue, with counters");
    cmd->alias("ls");
    cmd->add_option("--state", o->states,
                    "Only jobs in these states: Slurm's (PENDING, RUNNING, ...) or the "
                    "counters' (running, pending, completed, failed, unknown)")
        ->delimiter(',')
        ->type_name("STATE");
    cmd->add_option("--partition", o->partition, "Only jobs of this partition")
        ->type_name("PARTITION");
    cmd->add_option("--user", o->user, "Only jobs of this user")->type_name("USER");
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_queue_list(ctx, *o); }; });
}

}  // namespace cli
