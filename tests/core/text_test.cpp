// Case, trimming and shell quoting.
#include "core/text.hpp"

#include <catch2/catch.hpp>

#include "core/process.hpp"

TEST_CASE("upper, lower and trim work on ASCII", "[text]") {
    CHECK(core::upper("Pending") == "PENDING");
    CHECK(core::lower("RUNNING") == "running");
    CHECK(core::trim(" \t a b \n") == "a b");
    CHECK(core::trim("") == "");
    CHECK(core::last_line("a\nBind failed: in use.\nCannot bind any address.\n\n") ==
          "Cannot bind any address.");
    CHECK(core::last_line("  one  ") == "one");
    CHECK(core::last_line("") == "");
}

TEST_CASE("a shell-quoted word reaches the program as it was", "[text]") {
    const std::string words[] = {"plain",           "with space", "it's",       "$HOME",     "a\"b",
                                 "`date`",          "semi;colon", "",           "new\nline", "*",
                                 "PartitionName=x", "--json",     "back\\slash"};
    for (const auto& w : words) {
        INFO(w);
        const auto r = core::run({"sh", "-c", "printf '%s' " + core::shell_quote(w)});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == w);
    }
    // Words that need nothing are left alone (they stay readable in -vv traces).
    CHECK(core::shell_quote("PartitionName=x") == "PartitionName=x");
    CHECK(core::shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("text from outside reaches a terminal without control sequences", "[text]") {
    CHECK(core::printable("train") == "train");
    CHECK(core::printable("a\nb\tc\r") == "a\\nb\\tc\\r");
    CHECK(core::printable("\x1b[31mred") == "\\x1b[31mred");
    CHECK(core::printable("del\x7f") == "del\\x7f");
    CHECK(core::printable("c1 \xc2\x9b") == "c1 \\x9b");  // CSI as UTF-8
    CHECK(core::printable("caf\xc3\xa9 \xe2\x96\x88") == "caf\xc3\xa9 \xe2\x96\x88");  // kept
    CHECK(core::has_control_characters("a\x1b"));
    CHECK_FALSE(core::has_control_characters("plain \xc3\xa9"));
}

TEST_CASE("what a user typed is quoted, escaped and cut when long", "[text]") {
    CHECK(core::quoted_input("train") == "'train'");
    CHECK(core::quoted_input("a\nb") == "'a\\nb'");
    const std::string long_name(10000, 'x');
    const std::string q = core::quoted_input(long_name);
    CHECK(q.size() < 80);
    CHECK(q.find("(10000 characters)") != std::string::npos);
    // Never cut inside a UTF-8 character.
    std::string accents;
    for (int i = 0; i < 30; ++i)
        accents += "\xc3\xa9";
    const std::string cut = core::quoted_input(accents);
    CHECK(cut.find("\xc3\xa9...'") != std::string::npos);
}

TEST_CASE("a misspelt word finds its nearest candidate, and only a near one", "[text]") {
    const std::vector<std::string> commands{"cluster", "queue", "ssh", "ssh-config", "types"};
    CHECK(core::closest("clustr", commands) == "cluster");
    CHECK(core::closest("qeue", commands) == "queue");
    CHECK(core::closest("tpyes", commands) == "types");
    CHECK(core::closest("frobnicate", commands).empty());
    CHECK(core::closest("xy", commands).empty());
    CHECK(core::closest("lst", {"list", "info", "create"}) == "list");
}

TEST_CASE("control characters are found wherever they are, as a byte-by-byte look finds them",
          "[text]") {
    // The check reads eight bytes at a time: every position, every kind, and random text.
    const auto naive = [](const std::string& s) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == 0x7f) return true;
            if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                static_cast<unsigned char>(s[i + 1]) <= 0x9f)
                return true;
        }
        return false;
    };
    for (std::size_t len = 0; len < 24; ++len)
        for (std::size_t at = 0; at < len; ++at)
            for (const std::string bad : {std::string("\x1b"), std::string("\x7f"),
                                          std::string("\n"), std::string("\xc2\x9b")}) {
                std::string s(len, 'a');
                s.replace(at, std::min(bad.size(), len - at), bad.substr(0, len - at));
                INFO(len << " " << at);
                CHECK(core::has_control_characters(s) == naive(s));
            }
    std::uint32_t seed = 12345;
    for (int round = 0; round < 20000; ++round) {
        std::string s(seed % 40, ' ');
        for (auto& c : s) {
            seed = seed * 1103515245 + 12345;
            // Mostly printable ASCII and UTF-8 bytes, now and then a control.
            const std::uint32_t r = (seed >> 16) % 100;
            c = static_cast<char>(r < 2   ? (seed >> 8) % 0x20
                                  : r < 4 ? 0xc2
                                  : r < 8 ? 0x80 + r
                                          : 0x20 + r);
        }
        INFO(round);
        CHECK(core::has_control_characters(s) == naive(s));
    }
}
