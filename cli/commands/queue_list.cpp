#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"
#include "core/memory.hpp"
#include "core/observer.hpp"
#include "core/text.hpp"

namespace cli {

namespace {

struct QueueListOptions {
    std::vector<std::string> states;
    std::string partition;
    std::string user;
    bool watch = false;
};

constexpr auto k_watch_interval = std::chrono::seconds(2);
// A table row: ten cells of a few bytes each, plus the line they make (JSON takes about 4x).
constexpr std::size_t k_bytes_per_row = 512;

// A state is Slurm's word (PENDING, CD is not accepted) or one of the counters (running,
// failed, ...), which covers all the words counted under it.
bool state_matches(const core::Job& j, const std::vector<std::string>& wanted) {
    if (wanted.empty()) return true;
    const std::string category = core::upper(core::to_string(core::job_category(j.state)));
    return std::any_of(wanted.begin(), wanted.end(),
                       [&](const std::string& w) { return w == j.state || w == category; });
}

std::string render(Context& ctx, const QueueListOptions& o, const std::vector<std::string>& states,
                   bool json, bool quiet) {
    const auto jobs = ctx.scheduler().jobs();
    std::vector<const core::Job*> shown;
    for (const auto& j : jobs) {
        if (!state_matches(j, states)) continue;
        if (!o.partition.empty() && j.partition != o.partition) continue;
        if (!o.user.empty() && j.user != o.user) continue;
        shown.push_back(&j);
    }
    // Thousands of rows: their cells and text, in memory made ready at once.
    core::prepare_heap(shown.size() * k_bytes_per_row * (json ? 4 : 1));
    std::ostringstream out;
    print_jobs(out, shown, std::time(nullptr), json, quiet, ctx.color_stdout());
    return out.str();
}

// Until Ctrl-C: on a terminal the screen is redrawn in place; elsewhere (a log) each look is
// appended. Ctrl-C is the way out, so it ends the command with success.
void watch(Context& ctx, const QueueListOptions& o, const std::vector<std::string>& states) {
    const bool tty = ::isatty(STDOUT_FILENO);
    while (!core::interrupted()) {
        const std::string frame = render(ctx, o, states, false, ctx.quiet());
        char clock[16];
        const std::time_t now = std::time(nullptr);
        std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
        const std::string title =
            "Every " + std::to_string(k_watch_interval.count()) + "s: grid queue list  " + clock;
        if (tty)
            std::cout << "\x1b[H\x1b[2J" << title << "\n\n" << frame << std::flush;
        else
            std::cout << title << "\n" << frame << "\n" << std::flush;
        const auto until = std::chrono::steady_clock::now() + k_watch_interval;
        while (!core::interrupted() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (tty) std::cout << "\n";
}

void run_queue_list(Context& ctx, const QueueListOptions& o) {
    std::vector<std::string> states;
    for (const auto& s : o.states)
        states.push_back(core::upper(s));
    if (o.watch && ctx.json())
        throw core::Error(core::ErrorKind::Usage, "--watch shows tables, not JSON",
                          "drop -o json, or poll grid queue list -o json yourself");
    if (o.watch) return watch(ctx, o, states);
    std::cout << render(ctx, o, states, ctx.json(), ctx.quiet());
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
    cmd->add_option("-p,--partition", o->partition, "Only jobs of this partition")
        ->type_name("PARTITION");
    cmd->add_option("--user", o->user, "Only jobs of this user")->type_name("USER");
    cmd->add_flag("--watch", o->watch,
                  "Look again every 2 s until Ctrl-C, redrawing on a terminal");
    add_examples(*cmd, {"grid queue list --cluster train",
                        "grid queue list --profile hpc --state PENDING --watch"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_queue_list(ctx, *o); }; });
}

}  // namespace cli
