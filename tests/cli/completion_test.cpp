// Completion in real shells: the bash function called as bash calls it, and bash and zsh
// driven interactively in tmux, Tab key and all.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"
#include "tests/support/terminal.hpp"

using namespace std::chrono_literals;

namespace {

// COMPREPLY for the words typed so far (the last one being completed), as bash computes it.
std::string bash_complete(const test::Grid& g, const std::string& line) {
    const std::string script = "source '" + std::string(GRID_SOURCE_DIR) +
                               "/completions/grid.bash'\n"
                               "COMP_LINE='" +
                               line +
                               "'\n"
                               "read -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
                               "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
                               "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                               "_grid\n"
                               "for c in \"${COMPREPLY[@]}\"; do echo \"$c\"; done\n";
    core::RunOptions o;
    o.env = g.env();
    o.env.push_back(test::path_with_grid());
    o.input = script;
    o.timeout = 30s;
    return core::run({"bash", "--norc", "--noprofile"}, o).out;
}

// A cluster in the store for the id completions; its creation fails on capacity, which needs
// no sshd.
std::string failed_cluster(const test::Grid& g) {
    g.write_config("[providers.local]\ngpus = { H100 = 8 }\n");
    g.run({"cluster", "create", "8xH100", "-n", "2", "--name", "tiny", "-i", g.pubkey().string()});
    const auto ids = g.ok({"cluster", "list", "-q"}).out;
    REQUIRE(ids.size() == 9);
    return ids.substr(0, 8);
}

}  // namespace

TEST_CASE("the bash completion completes commands / options / values and ids", "[completion]") {
    if (!test::have_program("bash")) test::skip("bash is missing");
    test::Grid g;
    const std::string id = failed_cluster(g);
    CHECK(bash_complete(g, "grid cl") == "cluster\n");
    CHECK(bash_complete(g, "grid cluster in") == "info\n");
    CHECK(bash_complete(g, "grid cluster list --st") == "--status\n");
    CHECK(bash_complete(g, "grid cluster list --status FA") == "FAILED\n");
    CHECK(bash_complete(g, "grid -o j") == "json\n");
    CHECK(bash_complete(g, "grid cluster create 1xH1") == "1xH100\n");
    CHECK(bash_complete(g, "grid cluster info " + id.substr(0, 3)) == id + "\n");
    CHECK(bash_complete(g, "grid cluster info ti") == "tiny\n");
    CHECK(bash_complete(g, "grid cluster destroy " + id + " " + id.substr(0, 3)) == id + "\n");
    CHECK(bash_complete(g, "grid completion ") == "bash\nzsh\n");
    CHECK(bash_complete(g, "grid cluster create 1xH100 -i ").empty());  // files: bash falls back
    // Hidden commands are not offered.
    CHECK(bash_complete(g, "grid __").empty());
}

TEST_CASE("grid completion prints the scripts in completions/", "[completion]") {
    test::Grid g;
    CHECK(g.ok({"completion", "bash"}).out ==
          core::read_file(std::string(GRID_SOURCE_DIR) + "/completions/grid.bash"));
    CHECK(g.ok({"completion", "zsh"}).out ==
          core::read_file(std::string(GRID_SOURCE_DIR) + "/completions/_grid"));
}

TEST_CASE("Tab completes in an interactive bash", "[completion][tmux]") {
    test::require_tmux("bash");
    test::Grid g;
    const std::string id = failed_cluster(g);
    test::Tmux t(g, "bash --norc --noprofile");
    t.keys({"source '" + std::string(GRID_SOURCE_DIR) + "/completions/grid.bash'", "Enter"});
    t.keys({"grid cluster in", "Tab"});
    CHECK(t.wait_for("grid cluster info"));  // the screen shows no trailing blanks
    t.keys({id.substr(0, 4), "Tab"});
    CHECK(t.wait_for("grid cluster info " + id));
}

TEST_CASE("Tab completes in an interactive zsh", "[completion][tmux]") {
    test::require_tmux("zsh");
    test::Grid g;
    const std::string id = failed_cluster(g);
    test::Tmux t(g, "zsh -f");
    t.keys({"autoload -Uz compinit && compinit -u && source '" + std::string(GRID_SOURCE_DIR) +
                "/completions/_grid'",
            "Enter"});
    t.keys({"grid cluster in", "Tab"});
    CHECK(t.wait_for("grid cluster info"));  // the screen shows no trailing blanks
    t.keys({id.substr(0, 4), "Tab"});
    CHECK(t.wait_for("grid cluster info " + id));
    t.keys({"C-u", "grid cluster list --sta", "Tab"});
    CHECK(t.wait_for("grid cluster list --status"));
}
