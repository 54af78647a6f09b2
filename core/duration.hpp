#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace core {

// Durations as people type them: "90s", "30m", "2h", "1d", and sums such as "1h30m".
// Throws core::Error (Usage) on anything else, including zero and overflow.
std::chrono::seconds parse_duration(std::string_view text);
// The same with milliseconds too ("500ms"), for intervals in the config.
std::chrono::milliseconds parse_duration_ms(std::string_view text);

// The inverse, using the two largest units: 5400s -> "1h30m", 59s -> "59s".
std::string format_duration(std::chrono::seconds d);

// Unix time helpers. Times are stored as seconds since the epoch and shown as RFC 3339 UTC.
std::int64_t now_unix();
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace core
