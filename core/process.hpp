#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace core {

struct RunOptions {
    std::string input;                     // written to the child's stdin, then closed
    std::chrono::milliseconds timeout{0};  // 0 = wait for ever; on expiry the child is killed
    std::vector<std::string> env;          // extra "KEY=VALUE" entries
    std::filesystem::path cwd;             // empty = inherit
    // Runs in the child between fork and exec; only async-signal-safe calls belong here.
    std::function<void()> child_setup;
};

struct RunResult {
    int exit_code = -1;  // 128 + signal when the child was killed by a signal
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs argv[0] (searched in PATH) to completion, capturing stdout and stderr.
// Throws core::Error when the program cannot be started.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Starts argv in a new session, detached from this process, with stdin from /dev/null and
// stdout/stderr appended to `log_file` (or /dev/null). Returns its pid. The process is
// reparented to init, so it outlives grid.
pid_t spawn_detached(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::filesystem::path& log_file);

bool process_alive(pid_t pid);
// When the process started, in clock ticks since boot; 0 when it is gone. With the pid, it
// names one process for good: a pid is given again only to a later process.
std::int64_t process_start_time(pid_t pid);
std::string process_cmdline(pid_t pid);  // arguments joined by spaces; "" if gone
// Processes whose parent chain leads to `root` (not including root), children first.
std::vector<pid_t> descendants(pid_t root);
// Processes of this user whose environment holds `entry` ("KEY=VALUE"), or with `prefix`, an
// entry that starts with it.
std::vector<pid_t> processes_with_env(const std::string& entry, bool prefix = false);
// Processes of this user whose command line contains `text`.
std::vector<pid_t> processes_with_cmdline(const std::string& text);
// SIGTERM, wait up to `grace`, then SIGKILL. Returns once the pid is gone (or after a bound).
void stop_process(pid_t pid, std::chrono::milliseconds grace);

// Absolute path of the running executable.
std::filesystem::path self_executable();

}  // namespace core
