#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "core/files.hpp"
#include "core/ssh.hpp"

namespace cli {

namespace {

struct SshConfigOptions {
    bool write = false;
};

void run_ssh_config(Context& ctx, const SshConfigOptions& o) {
    std::string text =
        "# ssh configuration for grid clusters; Include this file from ~/.ssh/config\n";
    for (const auto& c : ctx.store().list_clusters()) {
        const bool live =
            std::any_of(c.instances.begin(), c.instances.end(), [](const core::Instance& i) {
                return core::is_live(i.state) && !(i.public_ip.empty() && i.private_ip.empty());
            });
        if (!live) continue;
        const core::SshFiles files = core::ssh_files(ctx.paths(), c.id);
        text += "\n" + core::ssh_config_text(c, files);
        core::write_ssh_files(c, files);  // known_hosts must exist where the blocks point
    }
    if (!o.write) {
        std::cout << text;
        return;
    }
    const auto path = ctx.paths().state_dir / "ssh_config";
    core::write_file(path, text, 0600);
    if (ctx.quiet() || ctx.json())
        std::cout << path.string() << '\n';
    else
        std::cout << "Wrote " << path.string()
                  << "\nAdd this line to the top of ~/.ssh/config:\n  Include " << path.string()
                  << '\n';
}

}  // namespace

void register_ssh_config(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<SshConfigOptions>();
    auto* cmd = parent.add_subcommand(
        "ssh-config", "Print an ssh_config with every node, for Include from ~/.ssh/config");
    cmd->add_flag("--write", o->write,
                  "Write it to the state directory instead, and show the Include line");
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_ssh_config(ctx, *o); }; });
}

}  // namespace cli
