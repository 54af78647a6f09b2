#include <csignal>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/backends.hpp"
#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/output/style.hpp"
#include "core/errors.hpp"
#include "core/observer.hpp"

#ifndef GRID_VERSION
#define GRID_VERSION "0.0.0"
#endif

namespace {

void on_sigint(int) {
    // The first Ctrl-C asks the running operation to stop and clean up; a second one is
    // obeyed at once.
    if (core::interrupted()) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
    core::set_interrupted();
}

void print_error(cli::Context& ctx, const std::string& message, const std::string& hint) {
    const bool color = ctx.color_stderr();
    std::cerr << cli::paint("grid: error:", cli::Color::Red, color) << ' ' << message << '\n';
    if (!hint.empty())
        std::cerr << cli::paint("hint:", cli::Color::Cyan, color) << ' ' << hint << '\n';
}

// "grid cluster create" for the deepest command the parser reached, for the hint.
std::string command_path(CLI::App& app) {
    std::string path = app.get_name();
    CLI::App* cur = &app;
    while (true) {
        const auto subs = cur->get_subcommands();
        if (subs.empty()) break;
        cur = subs.front();
        path += " " + cur->get_name();
    }
    return path;
}

void add_global_options(CLI::App& app, cli::GlobalOptions& g) {
    const char* group = "Global options";
    app.add_option("--profile", g.profile, "Use this profile of the config file")
        ->type_name("PROFILE")
        ->group(group);
    app.add_option("--config", g.config, "Config file (default: $XDG_CONFIG_HOME/grid/config.toml)")
        ->type_name("FILE")
        ->group(group);
    app.add_option("-o,--output", g.output, "Output format: table (default) or json")
        ->type_name("table|json")
        ->group(group);
    app.add_flag("--json", g.json, "Same as -o json")->group(group);
    app.add_flag("-q,--quiet", g.quiet, "Print ids only")->group(group);
    app.add_flag("-v,--verbose", g.verbose, "Show what grid does on stderr (repeatable)")
        ->group(group);
    app.add_flag("--no-color", g.no_color, "No colour (also: NO_COLOR=1)")->group(group);
    app.add_flag("-y,--yes", g.yes, "Do not ask for confirmation")->group(group);
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGINT, on_sigint);
    cli::Context ctx;
    ctx.argv0 = argc > 0 ? argv[0] : "grid";

    CLI::App app("grid: GPU clusters and their Slurm queue, from one command line.", "grid");
    app.fallthrough();  // global options are accepted after the subcommand too
    app.require_subcommand(1);
    app.set_version_flag("--version", "grid " GRID_VERSION);
    add_global_options(app, ctx.global);
    app.footer("Run 'grid COMMAND --help' for a command's options; 'man grid' for more.");

    cli::register_backends();
    auto* cluster = app.add_subcommand("cluster", "Create, inspect and destroy clusters");
    cluster->require_subcommand(1);
    cli::register_cluster_create(*cluster, ctx);
    cli::register_cluster_list(*cluster, ctx);
    cli::register_cluster_info(*cluster, ctx);
    cli::register_cluster_destroy(*cluster, ctx);
    cli::register_cluster_archive(*cluster, ctx);
    cli::register_ssh(app, ctx);
    cli::register_ssh_config(app, ctx);
    cli::register_types(app, ctx);
    auto* me = app.add_subcommand("me", "Your account: SSH keys");
    me->require_subcommand(1);
    cli::register_me_sshkey(*me, ctx);
    cli::register_completion(app, ctx);
    cli::register_watchdog(app, ctx);

    if (argc > 1 && std::strcmp(argv[1], "__complete") == 0) {
        cli::run_complete(ctx, app, std::vector<std::string>(argv + 2, argv + argc));
        return 0;
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::string message = e.what();
        if (message == "A subcommand is required") message = "a command is required";
        print_error(ctx, message, "see: " + command_path(app) + " --help");
        return 2;
    }

    if (ctx.global.output != "table" && ctx.global.output != "json") {
        print_error(ctx, "unknown output format '" + ctx.global.output + "'",
                    "use -o table or -o json");
        return 2;
    }
    try {
        if (ctx.run) ctx.run();
        return 0;
    } catch (const core::Error& e) {
        print_error(ctx, e.what(), e.hint());
        return core::exit_code(e.kind());
    } catch (const std::exception& e) {
        print_error(ctx, e.what(), "");
        return 1;
    }
}
