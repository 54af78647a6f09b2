#pragma once

#include <string>
#include <string_view>

#include "core/lifecycle.hpp"

namespace cli {

enum class Color { None, Green, Red, Yellow, Cyan, Dim, Bold };

// Colour only on a terminal, and never with --no-color or NO_COLOR set (https://no-color.org).
bool color_enabled(int fd, bool no_color_flag);
std::string paint(std::string_view text, Color color, bool enabled);
Color status_color(core::State state);

}  // namespace cli
