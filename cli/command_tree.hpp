#pragma once

// The command tree as data: which commands exist, in which group, and which of them a command
// line names, so that only those are built (building all of them costs more than most
// commands take to run).

#include <string>

namespace CLI {
class App;
}

namespace cli {

class Context;

// The first two words of the command line that are not options or option values.
struct CommandPath {
    std::string first, second;
};
CommandPath command_words(int argc, char** argv);

// Throws core::Error (Usage) for a command or group that does not exist ("unknown command
// 'clustr'", with the nearest one as a hint), or, on a line with no command, an option that
// does not exist.
void check_command_words(const CommandPath& path, int argc, char** argv);

// Adds the commands `path` names (all of them for help, completion and anything else).
void register_commands(CLI::App& app, Context& ctx, const CommandPath& path);

}  // namespace cli
