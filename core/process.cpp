#include "core/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>

#include "core/errors.hpp"

extern char** environ;

namespace core {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
    int fd[2] = {-1, -1};
    Pipe() {
        if (::pipe2(fd, O_CLOEXEC) != 0) throw Error(ErrorKind::Other, "pipe failed");
    }
    ~Pipe() { close_both(); }
    void close_read() { close_fd(0); }
    void close_write() { close_fd(1); }
    void close_both() {
        close_fd(0);
        close_fd(1);
    }
    void close_fd(int i) {
        if (fd[i] >= 0) ::close(fd[i]);
        fd[i] = -1;
    }
};

std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
    std::map<std::string, std::string> vars;
    std::vector<std::string> order;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        const auto eq = entry.find('=');
        const std::string key = entry.substr(0, eq);
        if (!vars.count(key)) order.push_back(key);
        vars[key] = entry;
    }
    for (const auto& entry : extra) {
        const std::string key = entry.substr(0, entry.find('='));
        if (!vars.count(key)) order.push_back(key);
        vars[key] = entry;
    }
    std::vector<std::string> out;
    out.reserve(order.size());
    for (const auto& k : order)
        out.push_back(vars[k]);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// In a forked child: close every descriptor above stderr except `keep`.
void close_other_fds(int keep) {
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
    ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
}

[[noreturn]] void exec_child(std::vector<char*>& argv, std::vector<char*>& envp, int status_fd) {
    ::execvpe(argv[0], argv.data(), envp.data());
    const int err = errno;
    [[maybe_unused]] auto n = ::write(status_fd, &err, sizeof err);
    ::_exit(127);
}

// Reads an errno written by a child whose exec failed; 0 if the exec succeeded (pipe closed).
int read_exec_status(int fd) {
    int err = 0;
    ssize_t n;
    do {
        n = ::read(fd, &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

RunResult run(const std::vector<std::string>& argv_in, const RunOptions& options) {
    if (argv_in.empty()) throw Error(ErrorKind::Other, "run: empty command");
    std::vector<std::string> argv_s = argv_in;
    std::vector<std::string> env_s = merged_env(options.env);
    auto argv = c_strings(argv_s);
    auto envp = c_strings(env_s);

    Pipe in, out, err, status;
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(ErrorKind::Other, std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
        ::dup2(in.fd[0], 0);
        ::dup2(out.fd[1], 1);
        ::dup2(err.fd[1], 2);
        // The setup first: it may use descriptors the parent opened for it.
        if (options.child_setup) options.child_setup();
        close_other_fds(status.fd[1]);
        ::signal(SIGPIPE, SIG_DFL);
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(127);
        exec_child(argv, envp, status.fd[1]);
    }
    status.close_write();
    in.close_read();
    out.close_write();
    err.close_write();
    const int exec_errno = read_exec_status(status.fd[0]);
    if (exec_errno != 0) {
        int st;
        ::waitpid(pid, &st, 0);
        throw Error(ErrorKind::Other, "cannot run " + argv_in[0] + ": " + std::strerror(exec_errno),
                    exec_errno == ENOENT ? "install the package that provides " + argv_in[0]
                                         : std::string());
    }

    RunResult result;
    std::size_t written = 0;
    if (options.input.empty())
        in.close_write();
    else
        ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
    const auto deadline = Clock::now() + options.timeout;
    char buf[8192];
    while (out.fd[0] >= 0 || err.fd[0] >= 0) {
        pollfd fds[3];
        int n = 0;
        if (out.fd[0] >= 0) fds[n++] = {out.fd[0], POLLIN, 0};
        if (err.fd[0] >= 0) fds[n++] = {err.fd[0], POLLIN, 0};
        if (in.fd[1] >= 0) fds[n++] = {in.fd[1], POLLOUT, 0};
        int wait_ms = -1;
        if (options.timeout.count() > 0) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                result.timed_out = true;
                ::kill(pid, SIGKILL);
                break;
            }
            wait_ms = static_cast<int>(left.count());
        }
        const int rc = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
        if (rc < 0 && errno == EINTR) continue;
        for (int i = 0; i < n; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == in.fd[1]) {
                const ssize_t w = ::write(in.fd[1], options.input.data() + written,
                                          options.input.size() - written);
                if (w > 0) written += static_cast<std::size_t>(w);
                if (w < 0 && errno != EAGAIN && errno != EINTR) in.close_write();
                if (written == options.input.size()) in.close_write();
                continue;
            }
            const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
            if (r > 0) {
                (fds[i].fd == out.fd[0] ? result.out : result.err)
                    .append(buf, static_cast<std::size_t>(r));
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                if (fds[i].fd == out.fd[0])
                    out.close_read();
                else
                    err.close_read();
            }
        }
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = decode_status(st);
    return result;
}

pid_t spawn_detached(const std::vector<std::string>& argv_in, const std::vector<std::string>& env,
                     const std::filesystem::path& log_file) {
    std::vector<std::string> argv_s = argv_in;
    std::vector<std::string> env_s = merged_env(env);
    auto argv = c_strings(argv_s);
    auto envp = c_strings(env_s);
    const std::string log = log_file.empty() ? std::string("/dev/null") : log_file.string();

    Pipe report;  // the grandchild's pid, then an errno if its exec fails
    const pid_t child = ::fork();
    if (child < 0) throw Error(ErrorKind::Other, "fork failed");
    if (child == 0) {
        ::setsid();
        const pid_t grandchild = ::fork();
        if (grandchild != 0) {
            [[maybe_unused]] auto n = ::write(report.fd[1], &grandchild, sizeof grandchild);
            ::_exit(grandchild < 0 ? 1 : 0);
        }
        const int null_fd = ::open("/dev/null", O_RDONLY);
        const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        ::dup2(null_fd, 0);
        ::dup2(log_fd >= 0 ? log_fd : null_fd, 1);
        ::dup2(log_fd >= 0 ? log_fd : null_fd, 2);
        close_other_fds(report.fd[1]);
        ::signal(SIGPIPE, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGHUP, SIG_IGN);
        if (::chdir("/") != 0) ::_exit(127);
        exec_child(argv, envp, report.fd[1]);
    }
    report.close_write();
    pid_t grandchild = -1;
    ssize_t n;
    do {
        n = ::read(report.fd[0], &grandchild, sizeof grandchild);
    } while (n < 0 && errno == EINTR);
    const int exec_errno = read_exec_status(report.fd[0]);
    int st;
    ::waitpid(child, &st, 0);
    if (n != static_cast<ssize_t>(sizeof grandchild) || grandchild <= 0)
        throw Error(ErrorKind::Other, "cannot start " + argv_in[0]);
    if (exec_errno != 0)
        throw Error(ErrorKind::Other,
                    "cannot run " + argv_in[0] + ": " + std::strerror(exec_errno));
    return grandchild;
}

namespace {

// A file of /proc/PID, whole; "" when the process is gone. Read with read(2): a process that
// ends while it is read makes the read fail (ESRCH), which std::ifstream reports by throwing.
std::string read_proc_file(pid_t pid, const char* name) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string text;
    char buf[4096];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// Fields of /proc/PID/stat; state 0 when the process is gone.
struct ProcStat {
    char state = 0;
    pid_t ppid = 0;
    std::int64_t start_time = 0;  // field 22, clock ticks since boot
};

ProcStat read_stat(pid_t pid) {
    const std::string line = read_proc_file(pid, "stat");
    if (line.empty()) return {};
    // comm may hold spaces and parentheses: the fields resume after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream rest(line.substr(close + 1));
    ProcStat s;
    rest >> s.state >> s.ppid;
    // state is field 3; starttime is field 22, 19 fields after ppid.
    std::string skip;
    for (int field = 5; field < 22 && rest >> skip; ++field) {
    }
    rest >> s.start_time;
    return s;
}

template <typename F>
void for_each_pid(F&& f) {
    DIR* dir = ::opendir("/proc");
    if (!dir) return;
    while (const dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid > 0 && end && *end == '\0') f(static_cast<pid_t>(pid));
    }
    ::closedir(dir);
}

}  // namespace

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    // A killed daemon whose parent is init stays a zombie where init does not reap.
    const ProcStat s = read_stat(pid);
    return s.state != 0 && s.state != 'Z' && s.state != 'X';
}

std::int64_t process_start_time(pid_t pid) {
    if (pid <= 0) return 0;
    const ProcStat s = read_stat(pid);
    return s.state == 0 || s.state == 'Z' || s.state == 'X' ? 0 : s.start_time;
}

std::string process_cmdline(pid_t pid) {
    std::string raw = read_proc_file(pid, "cmdline");
    while (!raw.empty() && raw.back() == '\0')
        raw.pop_back();
    for (auto& c : raw)
        if (c == '\0') c = ' ';
    return raw;
}

std::vector<pid_t> descendants(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    for_each_pid([&](pid_t pid) {
        const ProcStat s = read_stat(pid);
        if (s.state != 0) children.emplace(s.ppid, pid);
    });
    std::vector<pid_t> out;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        const pid_t p = todo.back();
        todo.pop_back();
        const auto [b, e] = children.equal_range(p);
        for (auto it = b; it != e; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return {out.rbegin(), out.rend()};
}

std::vector<pid_t> processes_with_env(const std::string& entry, bool prefix) {
    std::vector<pid_t> out;
    const pid_t self = ::getpid();
    for_each_pid([&](pid_t pid) {
        if (pid == self) return;
        const std::string env = read_proc_file(pid, "environ");
        std::size_t start = 0;
        while (start < env.size()) {
            const std::size_t end = std::min(env.find('\0', start), env.size());
            const std::string_view var(env.data() + start, end - start);
            if (prefix ? var.substr(0, entry.size()) == entry : var == entry) {
                if (process_alive(pid)) out.push_back(pid);
                return;
            }
            start = end + 1;
        }
    });
    return out;
}

std::vector<pid_t> processes_with_cmdline(const std::string& text) {
    std::vector<pid_t> out;
    const pid_t self = ::getpid();
    for_each_pid([&](pid_t pid) {
        if (pid != self && process_cmdline(pid).find(text) != std::string::npos &&
            process_alive(pid))
            out.push_back(pid);
    });
    return out;
}

void stop_process(pid_t pid, std::chrono::milliseconds grace) {
    if (!process_alive(pid)) return;
    ::kill(pid, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
        int st;
        ::waitpid(pid, &st, WNOHANG);  // reaps it if it happens to be our child
        if (!process_alive(pid)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 200 && process_alive(pid); ++i) {
        int st;
        ::waitpid(pid, &st, WNOHANG);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::filesystem::path self_executable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : p;
}

}  // namespace core
