#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/json_text.hpp"
#include "core/files.hpp"
#include "core/ssh.hpp"

namespace cli {

namespace {

struct SshConfigOptions {
    bool write = false;
};

nlohmann::json host_json(const core::SshHost& h, const std::string& cluster_id,
                         const core::SshFiles& files) {
    return {{"host", h.alias},
            {"cluster", cluster_id},
            {"hostname", h.hostname},
            {"port", h.port},
            {"user", h.user},
            {"proxy_jump", h.proxy_jump.empty() ? nlohmann::json() : nlohmann::json(h.proxy_jump)},
            {"identity_file", files.key.string()},
            {"known_hosts_file", files.known_hosts.string()}};
}

void run_ssh_config(Context& ctx, const SshConfigOptions& o) {
    std::string text =
        "# ssh configuration for grid clusters; Include this file from ~/.ssh/config\n";
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& c : ctx.store().list_clusters()) {
        const bool live =
            std::any_of(c.instances.begin(), c.instances.end(), [](const core::Instance& i) {
                return core::is_live(i.state) && !(i.public_ip.empty() && i.private_ip.empty());
            });
        if (!live) continue;
        const core::SshFiles files = core::ssh_files(ctx.paths(), c.id);
        text += "\n" + core::ssh_config_text(c, files);
        core::write_ssh_files(c, files);  // known_hosts must exist where the blocks point
        for (const auto& h : core::ssh_hosts(c))
            hosts.push_back(host_json(h, c.id, files));
    }
    std::string path;
    if (o.write) {
        path = (ctx.paths().state_dir / "ssh_config").string();
        core::write_file(path, text, 0600);
    }
    if (ctx.json()) {
        nlohmann::json doc{{"hosts", hosts}};
        // Without --write the text itself is the result; with it, where it went.
        if (o.write)
            doc["path"] = path;
        else
            doc["config"] = text;
        print_json(std::cout, doc);
    } else if (!o.write) {
        std::cout << text;
    } else if (ctx.quiet()) {
        std::cout << path << '\n';
    } else {
        std::cout << "Wrote " << path << "\nAdd this line to the top of ~/.ssh/config:\n  Include "
                  << path << '\n';
    }
}

}  // namespace

void register_ssh_config(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<SshConfigOptions>();
    auto* cmd = parent.add_subcommand(
        "ssh-config", "Print an ssh_config with every node, for Include from ~/.ssh/config");
    cmd->add_flag("--write", o->write,
                  "Write it to the state directory instead, and show the Include line");
    add_examples(*cmd, {"grid ssh-config --write", "grid ssh-config -o json"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_ssh_config(ctx, *o); }; });
}

}  // namespace cli
