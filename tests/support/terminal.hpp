#pragma once

#include <string>
#include <vector>

#include "tests/support/support.hpp"

namespace test {

// "PATH=<directory of the grid under test>:$PATH", so that shells find it as `grid`.
std::string path_with_grid();

// A shell on a real terminal: a private tmux server (its own socket, stopped at the end), to
// type into and read the screen of.
class Tmux {
  public:
    Tmux(const Grid& g, const std::string& shell_command);
    ~Tmux();
    void keys(const std::vector<std::string>& keys);
    std::string screen();   // the screen and up to 200 lines of history above it
    std::string visible();  // what the screen shows now
    // Polls the screen for up to `seconds`.
    bool wait_for(const std::string& text, int seconds = 5);

  private:
    std::string tmux(std::vector<std::string> args);
    TempDir m_dir;
    std::string m_socket;
};

// Skips the test where tmux or the shell is missing.
void require_tmux(const std::string& shell);

}  // namespace test
