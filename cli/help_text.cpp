#include "cli/help_text.hpp"

#include <CLI/CLI.hpp>

namespace cli {

void add_examples(CLI::App& command, const std::vector<std::string>& lines,
                  const std::string& note) {
    std::string text = "Examples:\n";
    for (const auto& line : lines)
        text += "  " + line + "\n";
    if (!note.empty()) text += "\n" + note + "\n";
    command.footer(text);
}

}  // namespace cli
