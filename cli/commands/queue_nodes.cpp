#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"
#include "core/text.hpp"

namespace cli {

namespace {

const std::vector<std::string> k_node_states = {"IDLE", "ALLOCATED", "MIXED",
                                                "DOWN", "DRAIN",     "UNKNOWN"};

void run_queue_nodes(Context& ctx, const std::vector<std::string>& states) {
    std::vector<std::string> wanted;
    for (const auto& given : states) {
        const std::string s = core::upper(given);
        if (std::find(k_node_states.begin(), k_node_states.end(), s) == k_node_states.end())
            throw core::Error(core::ErrorKind::Usage, "unknown node state '" + s + "'",
                              "states: IDLE ALLOCATED MIXED DOWN DRAIN UNKNOWN");
        wanted.push_back(s);
    }
    const auto nodes = ctx.scheduler().nodes();
    std::vector<const core::QueueNode*> shown;
    for (const auto& n : nodes)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), n.state) != wanted.end())
            shown.push_back(&n);
    if (ctx.json())
        print_nodes_json(std::cout, shown);
    else if (ctx.quiet())
        for (const auto* n : shown)
            std::cout << n->name << '\n';
    else
        print_nodes_table(std::cout, shown, ctx.color_stdout());
}

}  // namespace

void register_queue_nodes(CLI::App& parent, Context& ctx) {
    auto states = std::make_shared<std::vector<std::string>>();
    auto* cmd = parent.add_subcommand("nodes", "List the nodes with their state, GPUs and load");
    cmd->add_option("--state", *states,
                    "Only nodes in these states: IDLE ALLOCATED MIXED DOWN DRAIN UNKNOWN")
        ->delimiter(',')
        ->type_name("STATE");
    add_examples(*cmd, {"grid queue nodes --cluster train",
                        "grid queue nodes --profile hpc --state IDLE,MIXED"});
    cmd->callback([&ctx, states] { ctx.run = [&ctx, states] { run_queue_nodes(ctx, *states); }; });
}

}  // namespace cli
