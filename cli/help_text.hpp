#pragma once

// What `--help` ends with: one or two command lines that show a command at work. The man page
// of each command carries the same lines under EXAMPLES (a test holds them together).

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cli {

// `note`, when given, follows the examples.
void add_examples(CLI::App& command, const std::vector<std::string>& lines,
                  const std::string& note = {});

}  // namespace cli
