#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/backends.hpp"
#include "cli/command_tree.hpp"
#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/option_checks.hpp"
#include "cli/output/style.hpp"
#include "core/errors.hpp"
#include "core/memory.hpp"
#include "core/observer.hpp"
#include "core/text.hpp"

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
    // An error may quote what came from outside: one line each, never control sequences.
    std::cerr << cli::paint("grid: error:", cli::Color::Red, color) << ' '
              << core::printable(message) << '\n';
    if (!hint.empty())
        std::cerr << cli::paint("hint:", cli::Color::Cyan, color) << ' ' << core::printable(hint)
                  << '\n';
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

// CLI11's words for what went wrong, in grid's.
std::string parse_error_message(const CLI::ParseError& e) {
    const std::string message = e.what();
    if (message == "A subcommand is required") return "a command is required";
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
        std::string first = message.substr(message.find(": ") + 2);
        first = first.substr(0, first.find(' '));
        return (first.rfind('-', 0) == 0 ? "unknown option " : "unexpected argument ") +
               core::quoted_input(first);
    }
    // "--provider: 1 required PROVIDER missing"
    if (const auto at = message.find(": 1 required ");
        at != std::string::npos && message.size() > 8 &&
        message.rfind(" missing") == message.size() - 8)
        return message.substr(0, at) + " needs a value";
    return message;
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
    cli::add_examples(app,
                      {"grid cluster create 8xH100 -n 2 -i ~/.ssh/id_ed25519.pub",
                       "grid ssh k3m9x2ab-1 -- nvidia-smi -L"},
                      "Run 'grid COMMAND --help' for a command's options; 'man grid' for more.");

    cli::register_backends();
    if (argc > 1 && std::strcmp(argv[1], "__complete") == 0) {
        cli::register_commands(app, ctx, {});
        cli::run_complete(ctx, app, std::vector<std::string>(argv + 2, argv + argc));
        return 0;
    }

    const cli::CommandPath path = cli::command_words(argc, argv);
    try {
        cli::check_command_words(path, argc, argv);
    } catch (const core::Error& e) {
        print_error(ctx, e.what(), e.hint());
        return 2;
    }
    cli::register_commands(app, ctx, path);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        print_error(ctx, parse_error_message(e), "see: " + command_path(app) + " --help");
        return 2;
    }

    if (ctx.global.output != "table" && ctx.global.output != "json") {
        print_error(ctx, "unknown output format '" + ctx.global.output + "'",
                    "use -o table or -o json");
        return 2;
    }
    try {
        cli::reject_empty_values(app);
        // Every command reads the config file, so that a broken one is the same error
        // whichever command meets it, and a misspelt key is pointed out.
        ctx.check_config();
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
