#include "core/duration.hpp"

#include <charconv>
#include <ctime>
#include <limits>

#include "core/errors.hpp"
#include "core/text.hpp"

namespace core {

namespace {

Error bad_duration(std::string_view text) {
    return Error(ErrorKind::Usage, "invalid duration " + quoted_input(text),
                 "use a number with a unit: 90s, 30m, 2h, 1d (or sums such as 1h30m)");
}

Error too_long(std::string_view text) {
    return Error(ErrorKind::Usage, "duration " + quoted_input(text) + " is too long",
                 "use at most 36500d (a century)");
}

std::int64_t unit_seconds(char unit) {
    switch (unit) {
        case 's':
            return 1;
        case 'm':
            return 60;
        case 'h':
            return 3600;
        case 'd':
            return 86400;
        case 'w':
            return 7 * 86400;
        default:
            return 0;
    }
}

}  // namespace

std::chrono::milliseconds parse_duration_ms(std::string_view text) {
    if (text.empty()) throw bad_duration(text);
    constexpr std::int64_t limit = std::int64_t{100} * 365 * 86400 * 1000;  // a century is plenty
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::int64_t value = 0;
        std::size_t digits = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            value = value * 10 + (text[i] - '0');
            if (value > limit) throw too_long(text);
            ++i;
            ++digits;
        }
        if (digits == 0 || i >= text.size()) throw bad_duration(text);
        std::int64_t unit_ms = unit_seconds(text[i]) * 1000;
        if (text.substr(i, 2) == "ms") {
            unit_ms = 1;
            ++i;
        }
        if (unit_ms == 0) throw bad_duration(text);
        ++i;
        if (value > limit / unit_ms) throw too_long(text);
        total += value * unit_ms;
        if (total > limit) throw too_long(text);
    }
    if (total <= 0) throw bad_duration(text);
    return std::chrono::milliseconds(total);
}

std::chrono::seconds parse_duration(std::string_view text) {
    const auto ms = parse_duration_ms(text);
    if (ms < std::chrono::seconds(1)) throw bad_duration(text);
    return std::chrono::duration_cast<std::chrono::seconds>(ms);
}

std::string format_duration(std::chrono::seconds d) {
    std::int64_t s = d.count();
    if (s < 0) s = 0;
    struct Unit {
        std::int64_t seconds;
        char name;
    };
    static constexpr Unit units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    char buf[48];  // two numbers of at most 19 digits and their units
    std::size_t len = 0;
    int used = 0;
    for (const auto& u : units) {
        if (used == 2) break;
        const std::int64_t n = s / u.seconds;
        if (n > 0) {
            const auto r = std::to_chars(buf + len, buf + sizeof buf - 1, n);
            len = static_cast<std::size_t>(r.ptr - buf);
            buf[len++] = u.name;
            s -= n * u.seconds;
            ++used;
        } else if (used > 0) {
            break;  // "1d5m" reads worse than "1d"; stop at the first empty unit after the lead
        }
    }
    return len == 0 ? std::string("0s") : std::string(buf, len);
}

std::int64_t now_unix() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string format_rfc3339(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace core
