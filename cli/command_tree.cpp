#include "cli/command_tree.hpp"

#include <CLI/CLI.hpp>
#include <map>
#include <string_view>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "core/errors.hpp"
#include "core/text.hpp"

namespace cli {

namespace {

// The command tree, as data. Building every command costs more than many commands take to
// run, so only the commands named on the command line are built (all of them for help,
// completion and anything unrecognised).
struct Group {
    const char* name;
    const char* description;
    const char* examples[2];
};
constexpr Group k_groups[] = {
    {"cluster",
     "Create, inspect and destroy clusters",
     {"grid cluster create 1xH100 -i ~/.ssh/id_ed25519.pub", "grid cluster list"}},
    {"queue",
     "The Slurm job queue: jobs, partitions, nodes",
     {"grid queue list --cluster train",
      "grid queue submit --cluster train --gpus 8 --wrap 'python train.py'"}},
    {"me", "Your account: SSH keys", {"grid me sshkey ~/.ssh/id_ed25519.pub", "grid me sshkey"}},
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

bool named(const Command& c, const std::string& word) {
    return word == c.name || (*c.alias && word == c.alias);
}

bool is_group(const std::string& word) {
    for (const auto& g : k_groups)
        if (word == g.name) return true;
    return false;
}

bool known(const std::string& group, const std::string& word) {
    for (const auto& c : k_commands)
        if (group == c.group && named(c, word)) return true;
    return false;
}

// What a user may type in `group` ("" for the top level): the commands, and at the top the
// groups too. Hidden commands (__complete, ...) are not offered.
std::vector<std::string> words_of(const std::string& group) {
    std::vector<std::string> words;
    if (group.empty())
        for (const auto& g : k_groups)
            words.emplace_back(g.name);
    for (const auto& c : k_commands)
        if (group == c.group && c.name[0] != '_') {
            words.emplace_back(c.name);
            if (*c.alias) words.emplace_back(c.alias);
        }
    if (group.empty()) words.emplace_back("__complete");
    return words;
}

// Global options, and the options of a group that come before its command.
constexpr const char* k_options_with_value[] = {"--profile", "--config", "-o", "--output",
                                                "--cluster"};
constexpr const char* k_flags[] = {"--json",    "-q",         "--quiet",  "-v",
                                   "--verbose", "--no-color", "-y",       "--yes",
                                   "-h",        "--help",     "--version"};

}  // namespace

CommandPath command_words(int argc, char** argv) {
    CommandPath path;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") break;
        if (!a.empty() && a[0] == '-') {
            // An option's value is not a command.
            for (const char* v : k_options_with_value)
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

void check_command_words(const CommandPath& path, int argc, char** argv) {
    const auto unknown = [](const std::string& typed, const std::string& group,
                            const std::string& word) {
        const std::string near = core::closest(word, words_of(group));
        const std::string prefix = group.empty() ? "" : group + " ";
        throw core::Error(core::ErrorKind::Usage, "unknown command " + core::quoted_input(typed),
                          near.empty() ? "see: grid " + prefix + "--help"
                                       : "did you mean '" + prefix + near + "'?");
    };
    if (path.first.empty()) {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--" || a.empty() || a[0] != '-') break;
            const std::string name = a.substr(0, a.find('='));
            bool ok = name.find_first_not_of("v", 1) == std::string::npos;  // -v, -vv, ...
            for (const char* o : k_options_with_value)
                ok = ok || name == o;
            for (const char* f : k_flags)
                ok = ok || name == f;
            if (!ok)
                throw core::Error(core::ErrorKind::Usage, "unknown option " + core::quoted_input(a),
                                  "see: grid --help");
            for (const char* o : k_options_with_value)
                if (a == o) ++i;
        }
        return;
    }
    if (!is_group(path.first)) {
        if (!known("", path.first) && path.first != "__complete")
            unknown(path.first, "", path.first);
        return;
    }
    if (!path.second.empty() && !known(path.first, path.second))
        unknown(path.first + " " + path.second, path.first, path.second);
}

void register_commands(CLI::App& app, cli::Context& ctx, const CommandPath& path) {
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
                    if (std::string_view(spec.name) == c.group) {
                        g = app.add_subcommand(spec.name, spec.description);
                        add_examples(*g, {spec.examples[0], spec.examples[1]});
                    }
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

}  // namespace cli
