#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

void run_queue_clear(Context& ctx, const std::string& partition) {
    core::Scheduler& s = ctx.scheduler();
    std::vector<std::string> ids;
    for (const auto& j : s.jobs())
        if (j.partition == partition && core::job_category(j.state) == core::JobCategory::Pending)
            ids.push_back(j.id);
    // Only a partition with no pending job is looked up: a misspelt name is an error, not
    // an empty queue. (Partitions cost two requests: their list and the nodes' GPUs.)
    if (ids.empty()) {
        const auto partitions = s.partitions();
        if (std::none_of(partitions.begin(), partitions.end(),
                         [&](const core::Partition& p) { return p.name == partition; }))
            throw core::Error(core::ErrorKind::NotFound, "no partition " + partition,
                              "list them with: grid queue partitions");
    }
    if (!ids.empty() &&
        !ctx.confirm("cancel the " + std::to_string(ids.size()) + " pending job" +
                         (ids.size() == 1 ? "" : "s") + " of partition " + partition,
                     "pass --yes to clear without asking"))
        throw core::Error(core::ErrorKind::Usage, "not confirmed; nothing was cancelled");
    // A job that started or ended meanwhile is not pending any more: it is left alone.
    std::vector<std::string> cancelled;
    for (const auto& id : ids) {
        try {
            s.cancel(id);
            cancelled.push_back(id);
        } catch (const core::Error& e) {
            if (e.kind() != core::ErrorKind::NotFound) throw;
        }
    }
    const auto after = s.jobs();
    std::vector<const core::Job*> shown;
    for (const auto& j : after)
        if (std::find(cancelled.begin(), cancelled.end(), j.id) != cancelled.end())
            shown.push_back(&j);
    print_jobs(std::cout, shown, std::time(nullptr), ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_queue_clear(CLI::App& parent, Context& ctx) {
    auto partition = std::make_shared<std::string>();
    auto* cmd = parent.add_subcommand("clear", "Cancel every pending job of a partition");
    cmd->add_option("PARTITION", *partition, "Partition (queue)")
        ->required()
        ->type_name("PARTITION");
    add_examples(*cmd, {"grid queue clear debug --cluster train",
                        "grid queue clear gpu --profile hpc --yes"});
    cmd->callback(
        [&ctx, partition] { ctx.run = [&ctx, partition] { run_queue_clear(ctx, *partition); }; });
}

}  // namespace cli
