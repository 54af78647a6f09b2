#include "cli/output/style.hpp"

#include <unistd.h>

#include <cstdlib>

namespace cli {

bool color_enabled(int fd, bool no_color_flag) {
    if (no_color_flag) return false;
    if (const char* v = std::getenv("NO_COLOR"); v && *v) return false;
    if (const char* t = std::getenv("TERM"); t && std::string_view(t) == "dumb") return false;
    return ::isatty(fd) != 0;
}

std::string paint(std::string_view text, Color color, bool enabled) {
    if (!enabled || color == Color::None) return std::string(text);
    const char* code = "";
    switch (color) {
        case Color::Green:
            code = "32";
            break;
        case Color::Red:
            code = "31";
            break;
        case Color::Yellow:
            code = "33";
            break;
        case Color::Cyan:
            code = "36";
            break;
        case Color::Dim:
            code = "2";
            break;
        case Color::Bold:
            code = "1";
            break;
        case Color::None:
            break;
    }
    return std::string("\x1b[") + code + "m" + std::string(text) + "\x1b[0m";
}

Color status_color(core::State s) {
    switch (s) {
        case core::State::Running:
            return Color::Green;
        case core::State::Failed:
            return Color::Red;
        case core::State::Destroying:
        case core::State::Destroyed:
            return Color::Dim;
        default:
            return Color::Yellow;
    }
}

}  // namespace cli
