#include <CLI/CLI.hpp>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"

namespace cli {

void register_watchdog(CLI::App& parent, Context& ctx) {
    auto id = std::make_shared<std::string>();
    // Started by `cluster create --ttl` as a detached process; destroys the cluster when the
    // TTL runs out, whether or not any other grid command runs then.
    auto* cmd = parent.add_subcommand("__watchdog", "");
    cmd->group("");
    cmd->add_option("CLUSTER", *id)->required();
    cmd->callback([&ctx, id] { ctx.run = [&ctx, id] { ctx.engine().run_watchdog(*id); }; });
}

}  // namespace cli
