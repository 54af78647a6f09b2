// Every command has a man page that documents its options, and the pages are clean roff.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        out.push_back(line.substr(0, line.find('\t')));
    return out;
}

// The command tree, from the "Subcommands:" sections of --help: "cluster create", "ssh", ...
void leaves(const test::Grid& g, std::vector<std::string> path,
            std::vector<std::vector<std::string>>& out) {
    auto args = path;
    args.push_back("--help");
    const std::string help = g.ok(args).out;
    std::vector<std::string> subs;
    const auto at = help.find("\nSubcommands:\n");
    if (at != std::string::npos) {
        std::istringstream in(help.substr(at + 14));
        std::string line;
        while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
            std::istringstream words(line);
            std::string name;
            words >> name;  // "list, ls": the name, then its aliases
            if (!name.empty() && name.back() == ',') name.pop_back();
            subs.push_back(name);
        }
    }
    REQUIRE(path.size() < 4);
    if (subs.empty()) {
        out.push_back(path);
        return;
    }
    for (const auto& s : subs) {
        auto p = path;
        p.push_back(s);
        leaves(g, p, out);
    }
}

std::set<std::string> long_options(const test::Grid& g, const std::vector<std::string>& path) {
    std::vector<std::string> args{"__complete", "--"};
    args.insert(args.end(), path.begin(), path.end());
    args.push_back("--");
    std::set<std::string> out;
    for (const auto& o : lines_of(g.ok(args).out))
        out.insert(o);
    return out;
}

}  // namespace

TEST_CASE("every command has a man page that names each of its options", "[docs]") {
    test::Grid g;
    std::vector<std::vector<std::string>> commands;
    leaves(g, {}, commands);
    REQUIRE(commands.size() >= 10);
    const auto global = long_options(g, {});
    const auto main_page = core::read_file(std::string(GRID_SOURCE_DIR) + "/man/grid.1.scd");
    REQUIRE(main_page);
    for (const auto& o : global) {
        INFO("global option " << o);
        CHECK(main_page->find(o) != std::string::npos);
    }
    for (const auto& cmd : commands) {
        std::string name = "grid";
        std::string spoken;
        for (const auto& w : cmd) {
            name += "-" + w;
            spoken += (spoken.empty() ? "" : " ") + w;
        }
        INFO("command: grid " << spoken);
        const auto page = core::read_file(std::string(GRID_SOURCE_DIR) + "/man/" + name + ".1.scd");
        REQUIRE(page);
        CHECK(main_page->find("*" + spoken) != std::string::npos);  // listed in grid(1)
        for (const auto& o : long_options(g, cmd)) {
            if (global.count(o)) continue;
            INFO("option " << o);
            CHECK(page->find(o) != std::string::npos);
        }
    }
}

TEST_CASE("the man pages are clean roff", "[docs]") {
    if (!test::have_program("mandoc")) test::skip("mandoc is missing (apt-get install mandoc)");
    const std::filesystem::path built = std::filesystem::path(GRID_BUILD_DIR) / "man";
    if (!std::filesystem::exists(built / "grid.1"))
        test::skip("man pages were not built (scdoc missing)");
    int pages = 0;
    for (const auto& e : std::filesystem::directory_iterator(built)) {
        if (e.path().extension() != ".1") continue;
        ++pages;
        const auto r = core::run({"mandoc", "-Tlint", "-W", "warning", e.path().string()});
        // scdoc puts a paragraph macro after every heading, which mandoc skips with a warning;
        // anything else it reports is a real mistake in a page.
        std::istringstream in(r.out + r.err);
        std::string line;
        while (std::getline(in, line)) {
            if (line.find("skipping paragraph macro") != std::string::npos) continue;
            INFO(e.path());
            CHECK(line == "");
        }
    }
    // Every source page was built: scdoc stops at a mistake, and the page would be missing.
    int sources = 0;
    for (const auto& e :
         std::filesystem::directory_iterator(std::filesystem::path(GRID_SOURCE_DIR) / "man")) {
        const std::string name = e.path().filename().string();
        if (name.size() < 6 || name.substr(name.size() - 6) != ".1.scd") continue;
        ++sources;
        INFO(name);
        CHECK(std::filesystem::exists(built / name.substr(0, name.size() - 4)));
    }
    CHECK(pages == sources);
}

TEST_CASE("the README shows every command", "[docs]") {
    const auto readme = core::read_file(std::string(GRID_SOURCE_DIR) + "/README.md");
    REQUIRE(readme);
    for (const char* cmd :
         {"grid cluster create", "grid cluster list", "grid cluster info", "grid cluster destroy",
          "grid cluster archive", "grid ssh ", "grid ssh-config", "grid types", "grid me sshkey",
          "grid completion", "grid queue list", "grid queue info", "grid queue partitions",
          "grid queue nodes", "grid queue submit", "grid queue cancel", "grid queue move"}) {
        INFO(cmd);
        CHECK(readme->find(cmd) != std::string::npos);
    }
}

TEST_CASE("every --help ends with examples, and its man page shows them too", "[docs]") {
    test::Grid g;
    std::vector<std::vector<std::string>> commands;
    leaves(g, {}, commands);
    // The groups and grid itself have examples too; theirs are in grid(1).
    for (const auto& group :
         std::vector<std::vector<std::string>>{{}, {"cluster"}, {"queue"}, {"me"}})
        commands.push_back(group);
    for (const auto& cmd : commands) {
        std::string page_name = "grid";
        bool leaf = cmd.size() == 2 ||
                    (cmd.size() == 1 && cmd[0] != "cluster" && cmd[0] != "queue" && cmd[0] != "me");
        if (leaf)
            for (const auto& w : cmd)
                page_name += "-" + w;
        auto args = cmd;
        args.push_back("--help");
        const std::string help = g.ok(args).out;
        INFO("grid " << page_name << " --help:\n" << help);
        const auto at = help.find("\nExamples:\n");
        REQUIRE(at != std::string::npos);
        std::istringstream in(help.substr(at + 11));
        std::vector<std::string> examples;
        std::string line;
        while (std::getline(in, line) && line.rfind("  ", 0) == 0) {
            examples.push_back(line.substr(2));
            CHECK(examples.back().find("grid ") != std::string::npos);
        }
        CHECK(!examples.empty());
        const auto page =
            core::read_file(std::string(GRID_SOURCE_DIR) + "/man/" + page_name + ".1.scd");
        REQUIRE(page);
        CHECK(page->find("# EXAMPLES") != std::string::npos);
        for (const auto& e : examples) {
            INFO("example: " << e);
            CHECK(page->find(e) != std::string::npos);
        }
    }
}
