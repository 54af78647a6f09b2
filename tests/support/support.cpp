#include "tests/support/support.hpp"

#include <algorithm>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"

extern char** environ;

namespace test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "grid-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

nlohmann::json Result::json() const {
    INFO("stdout: " << out << "\nstderr: " << err);
    auto doc = nlohmann::json::parse(out, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    return doc;
}

Grid::Grid() : m_state(m_dir.path() / "state") {
    core::RunOptions o;
    o.timeout = std::chrono::seconds(30);
    const auto r = core::run(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "grid-test", "-f", key().string()},
        o);
    REQUIRE(r.exit_code == 0);
}

Grid::~Grid() {
    destroy_all();
}

void Grid::add_env(const std::string& entry) {
    const auto key = entry.substr(0, entry.find('=') + 1);
    m_env.erase(std::remove_if(m_env.begin(), m_env.end(),
                               [&](const std::string& e) { return e.rfind(key, 0) == 0; }),
                m_env.end());
    m_env.push_back(entry);
}

void Grid::destroy_all() const {
    try {
        const auto r = run({"cluster", "list", "-q"});  // archived clusters have ended
        std::vector<std::string> args{"cluster", "destroy", "--yes"};
        std::size_t start = 0;
        while (start < r.out.size()) {
            const auto nl = r.out.find('\n', start);
            const std::string id = r.out.substr(start, nl - start);
            if (!id.empty()) args.push_back(id);
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
        if (args.size() > 3) run(args);
    } catch (...) {
    }
}

std::vector<std::string> Grid::env() const {
    std::vector<std::string> env{"GRID_STATE_DIR=" + m_state.string(),
                                 "GRID_CONFIG=" + config_file().string(), "NO_COLOR=1"};
    env.insert(env.end(), m_env.begin(), m_env.end());
    return env;
}

Result Grid::run(const std::vector<std::string>& args, const std::string& input) const {
    std::vector<std::string> argv{GRID_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    core::RunOptions o;
    o.env = env();
    o.input = input;
    o.timeout = std::chrono::seconds(180);
    const auto r = core::run(argv, o);
    return {r.exit_code, r.out, r.err};
}

Result Grid::ok(const std::vector<std::string>& args) const {
    const Result r = run(args);
    std::string cmd;
    for (const auto& a : args)
        cmd += " " + a;
    INFO("grid" << cmd << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    return r;
}

std::string Grid::create(const std::vector<std::string>& args) const {
    std::vector<std::string> full{"cluster", "create"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"-i", pubkey().string(), "-q"});
    const Result r = ok(full);
    std::string id = r.out.substr(0, r.out.find('\n'));
    REQUIRE(id.size() == 8);
    return id;
}

void Grid::write_config(const std::string& toml) const {
    core::write_file(config_file(), toml, 0600);
}

std::vector<int> Grid::sshd_pids(const std::string& cluster_id) const {
    std::vector<int> pids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_state / "local" / "instances", ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(cluster_id + "-", 0) != 0) continue;
        if (const auto text = core::read_file(e.path() / "run" / "sshd.pid"))
            pids.push_back(std::atoi(text->c_str()));
    }
    return pids;
}

std::vector<int> Grid::sandbox_processes() const {
    std::vector<int> out;
    std::error_code ec;
    // Any process whose sandbox marker points into this test's state directory.
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto env = core::read_file(e.path() / "environ");
        if (!env) continue;
        const std::string marker = "GRID_SANDBOX=" + (m_state / "local").string();
        if (env->find(marker) != std::string::npos && core::process_alive(std::stoi(pid)))
            out.push_back(std::stoi(pid));
    }
    return out;
}

std::vector<std::string> Grid::leftovers(const std::string& cluster_id) const {
    std::vector<std::string> out;
    const std::string marker =
        "GRID_SANDBOX=" + (m_state / "local" / "instances" / (cluster_id + "-")).string();
    auto pids = core::processes_with_env(marker, /*prefix=*/true);
    // sshd writes its title over its environment; its command line names its sandbox.
    for (const int pid : core::processes_with_cmdline(
             (m_state / "local" / "instances" / (cluster_id + "-")).string()))
        pids.push_back(pid);
    for (const int pid : pids)
        out.push_back("process " + std::to_string(pid) + ": " + core::process_cmdline(pid));
    for (const fs::path& p :
         {fs::path("/run/netns/grid-" + cluster_id), fs::path("/sys/class/net/g" + cluster_id),
          fs::path("/run/grid-slurm/" + cluster_id),
          m_state / "local" / "networks" / (cluster_id + ".json")})
        if (fs::exists(p)) out.push_back(p.string());
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_state / "local" / "instances", ec))
        if (e.path().filename().string().rfind(cluster_id + "-", 0) == 0)
            out.push_back(e.path().string());
    return out;
}

std::string Grid::wait_for_new_cluster(const std::vector<std::string>& known,
                                       std::chrono::milliseconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    do {
        const auto r = run({"cluster", "list", "-q", "--all"});
        std::size_t start = 0;
        while (start < r.out.size()) {
            const auto nl = r.out.find('\n', start);
            const std::string id = r.out.substr(start, nl - start);
            if (!id.empty() && std::find(known.begin(), known.end(), id) == known.end()) return id;
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < end);
    return "";
}

Background::Background(const Grid& g, const std::vector<std::string>& args) {
    std::vector<std::string> argv{GRID_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    // The world's variables first: getenv() takes the first of a name.
    std::vector<std::string> env = g.env();
    for (char** e = environ; *e; ++e)
        env.emplace_back(*e);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env)
        cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string out = (m_dir / "out").string(), err = (m_dir / "err").string();
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
        // A process group of its own: the terminal's signals are for the test runner.
        ::setpgid(0, 0);
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int n = ::open("/dev/null", O_RDONLY);
        ::dup2(n, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
}

Background::~Background() {
    if (m_code < 0 && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int st = 0;
        ::waitpid(m_pid, &st, 0);
    }
}

void Background::signal(int sig) const {
    ::kill(m_pid, sig);
}

int Background::wait(std::chrono::seconds limit) {
    if (m_code >= 0) return m_code;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        int st = 0;
        const pid_t r = ::waitpid(m_pid, &st, WNOHANG);
        if (r == m_pid) {
            m_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return m_code;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

std::string Background::out() const {
    return core::read_file(m_dir / "out").value_or("");
}

std::string Background::err() const {
    return core::read_file(m_dir / "err").value_or("");
}

void skip(const std::string& why) {
    std::cout << "SKIPPED: " << why << std::endl;
    std::cerr << "SKIPPED: " << why << std::endl;
    std::_Exit(77);
}

bool have_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= p.size()) {
        const auto colon = p.find(':', start);
        const std::string dir = p.substr(start, colon - start);
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return false;
}

void require_sshd() {
    if (!have_program("/usr/sbin/sshd"))
        skip("/usr/sbin/sshd is missing (apt-get install openssh-server)");
    if (!have_program("ssh") || !have_program("ssh-keygen"))
        skip("ssh or ssh-keygen is missing (apt-get install openssh-client)");
}

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(int port, const std::string& address) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

}  // namespace test
