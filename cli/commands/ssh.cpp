#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "core/errors.hpp"
#include "core/ssh.hpp"

namespace cli {

namespace {

struct SshOptions {
    std::string target;
    std::vector<std::string> command;
};

void run_ssh(Context& ctx, const SshOptions& o) {
    const auto [cluster, instance] = ctx.engine().resolve_instance(o.target);
    if (instance.state != core::State::Running)
        throw core::Error(
            core::ErrorKind::InvalidState,
            "instance " + instance.id + " is " + core::to_string(instance.state) + ", not RUNNING",
            "see: grid cluster info " + cluster.id);
    const core::SshFiles files = core::ssh_files(ctx.paths(), cluster.id);
    // Rewritten from the store each time: the file is derived, and may be from an older grid.
    core::write_ssh_files(cluster, files);
    const auto argv = core::ssh_argv(files, instance.id, false, o.command);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // ssh takes over this process: its exit code, terminal and signals become the user's.
    ::execvp(args[0], args.data());
    throw core::Error(core::ErrorKind::Other,
                      std::string("cannot run ssh: ") + std::strerror(errno),
                      "install it: apt-get install openssh-client");
}

}  // namespace

void register_ssh(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<SshOptions>();
    auto* cmd =
        parent.add_subcommand("ssh", "Open a shell on a node, or run a command there (after --)");
    cmd->add_option("TARGET", o->target,
                    "Instance id ({cluster}-0, {cluster}-jumphost) or a cluster")
        ->required()
        ->type_name("INSTANCE|CLUSTER");
    cmd->add_option("COMMAND", o->command, "Command to run on the node; its exit code is grid's")
        ->type_name("COMMAND");
    add_examples(*cmd, {"grid ssh train", "grid ssh k3m9x2ab-1 -- nvidia-smi -L"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_ssh(ctx, *o); }; });
}

}  // namespace cli
