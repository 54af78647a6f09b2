#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"

namespace cli {

void register_queue_partitions(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand(
        "partitions", "List the partitions (queues) with their GPUs and time limits");
    add_examples(*cmd, {"grid queue partitions --cluster train",
                        "grid queue partitions --profile hpc -o json"});
    cmd->callback([&ctx] {
        ctx.run = [&ctx] {
            const auto parts = ctx.scheduler().partitions();
            if (ctx.json())
                print_partitions_json(std::cout, parts);
            else if (ctx.quiet())
                for (const auto& p : parts)
                    std::cout << p.name << '\n';
            else
                print_partitions_table(std::cout, parts, ctx.color_stdout());
        };
    });
}

}  // namespace cli
