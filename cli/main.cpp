#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/backends.hpp"
#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/output/style.hpp"
#include "core/errors.hpp"
#include "core/memory.hpp"
#include "core/observer.hpp"

#ifndef GRID_VERSION
#define GRID_VERSION "0.0.0"
#endif

namespace {

// Ctrl-C, a closed terminal, and a TERM from timeout(1), CI runners or systemd all mean the
// same: stop the running operation and release what it launched.
constexpr int k_stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

void on_stop_signal(int signal) {
    // The first one asks the running operation to stop and clean up; a second one is obeyed
    // at once.
    if (core::interrupted()) {
        std::signal(signal, SIG_DFL);
        std::raise(signal);
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

// The command tree, as data. Building every command costs more than many commands take to
// run, so only the commands named on the command line are built (all of them for help,
// completion and anything unrecognised).
struct Group {
    const char* name;
    const char* description;
};
constexpr Group k_groups[] = {
    {"cluster", "Create, inspect and destroy clusters"},
    {"queue", "The Slurm job queue: jobs, partitions, nodes"},
    {"me", "Your account: SSH keys"},
};

struct Command {
    const char* group;  // "" for a top-level command
    const char* name;
    const char* alias;  // "" for none; must match the alias the command registers
    void (*add)(CLI::App&, cli::Context&);
};
constexpr Command k_commands[] = {
    {"cluster", "create", "", cli::register_cluster_create},
    {"cluster", "list", "ls", cli::register_cluster_list},
    {"cluster", "info", "", cli::register_cluster_info},
    {"cluster", "destroy", "rm", cli::register_cluster_destroy},
    {"cluster", "archive", "", cli::register_cluster_archive},
    {"queue", "list", "ls", cli::register_queue_list},
    {"queue", "info", "", cli::register_queue_info},
    {"queue", "partitions", "", cli::register_queue_partitions},
    {"queue", "nodes", "", cli::register_queue_nodes},
    {"queue", "submit", "", cli::register_queue_submit},
    {"queue", "cancel", "", cli::register_queue_cancel},
    {"queue", "hold", "", cli::register_queue_hold},
    {"queue", "release", "", cli::register_queue_release},
    {"queue", "top", "", cli::register_queue_top},
    {"queue", "bottom", "", cli::register_queue_bottom},
    {"queue", "move", "", cli::register_queue_move},
    {"queue", "clear", "", cli::register_queue_clear},
    {"queue", "create", "", cli::register_queue_create},
    {"queue", "delete", "", cli::register_queue_delete},
    {"queue", "rename", "", cli::register_queue_rename},
    {"", "ssh", "", cli::register_ssh},
    {"", "ssh-config", "", cli::register_ssh_config},
    {"", "types", "", cli::register_types},
    {"me", "sshkey", "", cli::register_me_sshkey},
    {"", "completion", "", cli::register_completion},
    {"", "__watchdog", "", cli::register_watchdog},
    {"", "__teardown", "", cli::register_teardown},
};

// The first two words of the command line that are not options or option values.
struct CommandPath {
    std::string first, second;
};

CommandPath command_words(int argc, char** argv) {
    // Global options that take a value, so that their value is not taken for a command.
    static constexpr const char* with_value[] = {"--profile", "--config", "-o", "--output"};
    CommandPath path;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") break;
        if (!a.empty() && a[0] == '-') {
            for (const char* v : with_value)
                if (a == v) ++i;
            continue;
        }
        if (path.first.empty())
            path.first = a;
        else {
            path.second = a;
            break;
        }
    }
    return path;
}

void register_commands(CLI::App& app, cli::Context& ctx, const CommandPath& path) {
    auto named = [](const Command& c, const std::string& word) {
        return word == c.name || (*c.alias && word == c.alias);
    };
    auto is_group = [&](const std::string& word) {
        for (const auto& g : k_groups)
            if (word == g.name) return true;
        return false;
    };
    auto known = [&](const std::string& group, const std::string& word) {
        for (const auto& c : k_commands)
            if (group == c.group && named(c, word)) return true;
        return false;
    };
    // What to build: one command, one group, or everything.
    std::string want_group, want_name;
    bool everything = true;
    if (is_group(path.first)) {
        everything = false;
        want_group = path.first;
        if (known(want_group, path.second)) want_name = path.second;
    } else if (known("", path.first)) {
        everything = false;
        want_name = path.first;
    }
    std::map<std::string, CLI::App*> groups;
    for (const auto& c : k_commands) {
        if (!everything && (want_group != c.group || (!want_name.empty() && !named(c, want_name))))
            continue;
        CLI::App* parent = &app;
        if (*c.group) {
            auto& g = groups[c.group];
            if (!g) {
                for (const auto& spec : k_groups)
                    if (std::string_view(spec.name) == c.group)
                        g = app.add_subcommand(spec.name, spec.description);
                g->require_subcommand(1);
                if (std::string_view(c.group) == "queue")
                    g->add_option("--cluster", ctx.global.cluster,
                                  "A multi-node cluster grid made, instead of --profile")
                        ->type_name("CLUSTER");
            }
            parent = g;
        }
        c.add(*parent, ctx);
    }
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
    // What parsing and opening the store touch, in one go (see core/memory.hpp).
    core::prepare_heap(256 << 10);
    for (const int signal : k_stop_signals)
        std::signal(signal, on_stop_signal);
    cli::Context ctx;
    ctx.argv0 = argc > 0 ? argv[0] : "grid";

    CLI::App app("grid: GPU clusters and their Slurm queue, from one command line.", "grid");
    app.fallthrough();  // global options are accepted after the subcommand too
    app.require_subcommand(1);
    app.set_version_flag("--version", "grid " GRID_VERSION);
    add_global_options(app, ctx.global);
    app.footer("Run 'grid COMMAND --help' for a command's options; 'man grid' for more.");

    cli::register_backends();
    const bool completing = argc > 1 && std::strcmp(argv[1], "__complete") == 0;
    register_commands(app, ctx, completing ? CommandPath{} : command_words(argc, argv));

    if (completing) {
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
        // Done: close the store (so that the WAL is checkpointed and truncated for the next
        // grid to open quickly), flush, and leave without tearing down the rest of what the
        // command built, which the OS releases faster than we could.
        ctx.close();
        std::cout.flush();
        std::cerr.flush();
        std::_Exit(std::cout.good() ? 0 : 1);
    } catch (const core::Error& e) {
        print_error(ctx, e.what(), e.hint());
        return core::exit_code(e.kind());
    } catch (const std::exception& e) {
        print_error(ctx, e.what(), "");
        return 1;
    }
}
