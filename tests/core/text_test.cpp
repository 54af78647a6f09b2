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
