#include "core/duration.hpp"

#include <catch2/catch.hpp>

#include "core/errors.hpp"

using std::chrono::seconds;

TEST_CASE("durations parse as people type them", "[duration]") {
    CHECK(core::parse_duration("90s") == seconds(90));
    CHECK(core::parse_duration("30m") == seconds(1800));
    CHECK(core::parse_duration("2h") == seconds(7200));
    CHECK(core::parse_duration("1d") == seconds(86400));
    CHECK(core::parse_duration("1h30m") == seconds(5400));
    CHECK(core::parse_duration("1w") == seconds(7 * 86400));
}

TEST_CASE("bad durations are usage errors", "[duration]") {
    for (const char* bad :
         {"", "10", "h", "5x", "-5m", "0s", "1.5h", "5m ", "99999999999999999d", "1h-"}) {
        INFO(bad);
        try {
            core::parse_duration(bad);
            FAIL("accepted");
        } catch (const core::Error& e) {
            CHECK(e.kind() == core::ErrorKind::Usage);
            CHECK_FALSE(e.hint().empty());
        }
    }
}

TEST_CASE("intervals may be given in milliseconds", "[duration]") {
    using std::chrono::milliseconds;
    CHECK(core::parse_duration_ms("500ms") == milliseconds(500));
    CHECK(core::parse_duration_ms("12s") == milliseconds(12000));
    CHECK(core::parse_duration_ms("1m30s") == milliseconds(90000));
    CHECK(core::parse_duration_ms("1s250ms") == milliseconds(1250));
    CHECK_THROWS_AS(core::parse_duration_ms("5mss"), core::Error);
    CHECK_THROWS_AS(core::parse_duration_ms("0ms"), core::Error);
    // Where whole seconds are meant, less than one is refused.
    CHECK_THROWS_AS(core::parse_duration("500ms"), core::Error);
    CHECK(core::parse_duration("1500ms") == seconds(1));
}

TEST_CASE("durations format with their two largest units", "[duration]") {
    CHECK(core::format_duration(seconds(0)) == "0s");
    CHECK(core::format_duration(seconds(59)) == "59s");
    CHECK(core::format_duration(seconds(5400)) == "1h30m");
    CHECK(core::format_duration(seconds(86400 + 300)) == "1d");
    CHECK(core::format_duration(seconds(90061)) == "1d1h");
    CHECK(core::format_duration(seconds(-5)) == "0s");
}

TEST_CASE("times are RFC 3339 UTC", "[duration]") {
    CHECK(core::format_rfc3339(0) == "1970-01-01T00:00:00Z");
    CHECK(core::format_rfc3339(1795000000) == "2026-11-18T11:06:40Z");
}

TEST_CASE("a well-formed duration out of range says it is too long", "[duration]") {
    for (const char* text : {"106751d", "36501d", "99999999999999999999s"}) {
        INFO(text);
        try {
            core::parse_duration(text);
            FAIL("parsed");
        } catch (const core::Error& e) {
            CHECK(std::string(e.what()).find("too long") != std::string::npos);
        }
    }
    CHECK(core::parse_duration("36500d").count() == 36500LL * 86400);
    try {
        core::parse_duration("soon");
        FAIL("parsed");
    } catch (const core::Error& e) {
        CHECK(std::string(e.what()).find("invalid duration") != std::string::npos);
    }
}
