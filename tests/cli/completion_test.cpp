// Completion in real shells: the bash function called as bash calls it, and bash and zsh
// driven interactively in tmux, Tab key and all.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

using namespace std::chrono_literals;

namespace {

std::string path_with_grid() {
    const char* p = std::getenv("PATH");
    return std::string("PATH=") + std::filesystem::path(GRID_BINARY).parent_path().string() + ":" +
           (p ? p : "/usr/bin:/bin");
}

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
    o.env.push_back(path_with_grid());
    o.input = script;
    o.timeout = 30s;
    return core::run({"bash", "--norc", "--noprofile"}, o).out;
}

// A shell in a private tmux server: type, press Tab, read the screen.
class Tmux {
  public:
    Tmux(const test::Grid& g, const std::string& shell_command) : m_socket(m_dir / "tmux.sock") {
        std::string env;
        for (const auto& e : g.env())
            env += e + " ";
        env += path_with_grid();
        run({"new-session", "-d", "-x", "160", "-y", "40", "env " + env + " " + shell_command});
    }
    ~Tmux() { run({"kill-server"}); }
    void keys(const std::vector<std::string>& k) {
        std::vector<std::string> args{"send-keys"};
        args.insert(args.end(), k.begin(), k.end());
        run(args);
    }
    std::string screen() { return run({"capture-pane", "-p"}).out; }
    bool wait_for(const std::string& text) {
        for (int i = 0; i < 100; ++i) {
            if (screen().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

  private:
    core::RunResult run(std::vector<std::string> args) {
        args.insert(args.begin(), {"tmux", "-S", m_socket.string()});
        core::RunOptions o;
        o.timeout = 10s;
        return core::run(args, o);
    }
    test::TempDir m_dir;
    std::filesystem::path m_socket;
};

// A cluster in the store for the id completions; its creation fails on capacity, which needs
// no sshd.
std::string failed_cluster(const test::Grid& g) {
    g.write_config("[providers.local]\ngpus = { H100 = 1 }\n");
    g.run({"cluster", "create", "1xH100", "-n", "2", "--name", "tiny", "-i", g.pubkey().string()});
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
    if (!test::have_program("tmux")) test::skip("tmux is missing (apt-get install tmux)");
    if (!test::have_program("bash")) test::skip("bash is missing");
    test::Grid g;
    const std::string id = failed_cluster(g);
    Tmux t(g, "bash --norc --noprofile");
    t.keys({"source '" + std::string(GRID_SOURCE_DIR) + "/completions/grid.bash'", "Enter"});
    t.keys({"grid cluster in", "Tab"});
    CHECK(t.wait_for("grid cluster info"));  // the screen shows no trailing blanks
    t.keys({id.substr(0, 4), "Tab"});
    CHECK(t.wait_for("grid cluster info " + id));
}

TEST_CASE("Tab completes in an interactive zsh", "[completion][tmux]") {
    if (!test::have_program("tmux")) test::skip("tmux is missing (apt-get install tmux)");
    if (!test::have_program("zsh")) test::skip("zsh is missing (apt-get install zsh)");
    test::Grid g;
    const std::string id = failed_cluster(g);
    Tmux t(g, "zsh -f");
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
