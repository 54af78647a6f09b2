#include "tests/support/terminal.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/process.hpp"

namespace test {

std::string path_with_grid() {
    const char* p = std::getenv("PATH");
    return std::string("PATH=") + std::filesystem::path(GRID_BINARY).parent_path().string() + ":" +
           (p ? p : "/usr/bin:/bin");
}

Tmux::Tmux(const Grid& g, const std::string& shell_command)
    : m_socket((m_dir / "tmux.sock").string()) {
    std::string env;
    for (const auto& e : g.env())
        env += e + " ";
    env += path_with_grid();
    tmux({"new-session", "-d", "-x", "160", "-y", "40", "env " + env + " " + shell_command});
}

Tmux::~Tmux() {
    tmux({"kill-server"});
}

void Tmux::keys(const std::vector<std::string>& keys) {
    std::vector<std::string> args{"send-keys"};
    args.insert(args.end(), keys.begin(), keys.end());
    tmux(args);
}

std::string Tmux::screen() {
    return tmux({"capture-pane", "-p", "-S", "-200"});
}

std::string Tmux::visible() {
    return tmux({"capture-pane", "-p"});
}

bool Tmux::wait_for(const std::string& text, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
        if (screen().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string Tmux::tmux(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-S", m_socket});
    core::RunOptions o;
    o.timeout = std::chrono::seconds(10);
    return core::run(args, o).out;
}

void require_tmux(const std::string& shell) {
    if (!have_program("tmux")) skip("tmux is missing (apt-get install tmux)");
    if (!have_program(shell)) skip(shell + " is missing (apt-get install " + shell + ")");
}

}  // namespace test
