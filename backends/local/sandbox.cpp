#include "backends/local/sandbox.hpp"

#include <fcntl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include <thread>
#include "backends/local/network.hpp"

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/ssh.hpp"
#include "core/text.hpp"

namespace backends::local {

namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

constexpr const char* k_sshd = "/usr/sbin/sshd";

// sshd_config and SetEnv take double-quoted arguments; paths with spaces need them.
std::string q(const std::string& s) {
    return "\"" + s + "\"";
}

std::string sftp_server() {
    for (const char* p : {"/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server",
                          "/usr/lib/ssh/sftp-server"})
        if (::access(p, X_OK) == 0) return p;
    return "internal-sftp";
}

// Every session starts here (sshd's ForceCommand): in the sandbox's home, with the command the
// client asked for, or a login shell.
constexpr const char* k_session_script = R"(#!/bin/sh
# grid local provider: every ssh session of this instance starts here.
cd "$HOME" || exit 1
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then
    exec "${SHELL:-/bin/sh}" -c "$SSH_ORIGINAL_COMMAND"
fi
exec "${SHELL:-/bin/sh}" -l
)";

// The same as k_session_script, for a POSIX shell to run itself.
constexpr const char* k_inline_session =
    "cd \"$HOME\" || exit 1; if [ -n \"$SSH_ORIGINAL_COMMAND\" ]; then eval "
    "\"$SSH_ORIGINAL_COMMAND\"; "
    "else exec \"${SHELL:-/bin/sh}\" -l; fi";

bool posix_login_shell() {
    const passwd* pw = ::getpwuid(::geteuid());
    const std::string shell = pw && pw->pw_shell ? pw->pw_shell : "/bin/sh";
    const std::string name = shell.substr(shell.rfind('/') + 1);
    for (const char* posix : {"bash", "sh", "dash", "zsh", "ksh", "mksh", "ash"})
        if (name == posix) return true;
    return false;
}

// ssh reads its configuration from the passwd home, not from $HOME; in a sandbox the two
// differ, so ssh is pointed at the sandbox's own ~/.ssh/config.
constexpr const char* k_ssh_shim = R"(#!/bin/sh
# grid local provider: ssh from this instance uses the instance's own ~/.ssh/config.
if [ -f "$HOME/.ssh/config" ]; then
    exec /usr/bin/ssh -F "$HOME/.ssh/config" "$@"
fi
exec /usr/bin/ssh "$@"
)";

std::string gpu_full_name(const std::string& model) {
    if (model == "H100") return "NVIDIA H100 80GB HBM3";
    if (model == "H200") return "NVIDIA H200 141GB HBM3e";
    if (model == "B200") return "NVIDIA B200 180GB HBM3e";
    if (model == "A100") return "NVIDIA A100-SXM4-80GB";
    return "NVIDIA " + model;
}

std::string nvidia_smi_script(const SandboxRecord& r) {
    std::string s =
        "#!/bin/sh\n"
        "# grid local provider: the GPUs of this instance are emulated; there is no device.\n";
    if (r.gpu_count == 0) {
        s += "echo 'No devices were found' >&2\nexit 6\n";
        return s;
    }
    s += "cat <<'EOF'\n";
    for (int g = 0; g < r.gpu_count; ++g)
        s += "GPU " + std::to_string(g) + ": " + gpu_full_name(r.gpu_model) +
             " (emulated by grid, UUID: GPU-grid-" + r.name + "-" + std::to_string(g) + ")\n";
    s += "EOF\n";
    return s;
}

nlohmann::json to_json(const SandboxRecord& r) {
    return {{"name", r.name},           {"cluster", r.cluster},
            {"role", r.role},           {"type", r.type},
            {"gpu_model", r.gpu_model}, {"gpu_count", r.gpu_count},
            {"address", r.address},     {"port", r.port},
            {"user", r.user},           {"created_at", r.created_at},
            {"netns", r.netns},         {"slurm_conf", r.slurm_conf}};
}

// sshd's last line after a failed bind is "Cannot bind any address."; the line before says
// why, and "Address already in use" is the one reason worth a retry on another port.
std::string sshd_failure(const std::string& text) {
    const auto at = text.find("Address already in use");
    if (at == std::string::npos) return core::last_line(text);
    const auto begin = text.rfind('\n', at);
    const auto end = text.find('\n', at);
    return text.substr(begin == std::string::npos ? 0 : begin + 1,
                       end == std::string::npos
                           ? std::string::npos
                           : end - (begin == std::string::npos ? 0 : begin + 1));
}

}  // namespace

std::string loopback_address(bool is_public, int index) {
    // .10-.249 of each /24: stays clear of 127.0.0.1 and of the addresses people pick by hand.
    return std::string(is_public ? "127.0." : "127.1.") + std::to_string(index / 240) + "." +
           std::to_string(10 + index % 240);
}

int free_port(const std::string& address) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(ErrorKind::Other, "socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        socklen_t len = sizeof a;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin_port);
    }
    ::close(fd);
    if (port == 0) throw Error(ErrorKind::Provider, "no free port on " + address);
    return port;
}

Sandbox::Sandbox(fs::path root, std::string name)
    : m_dir(std::move(root) / name), m_name(std::move(name)) {}

bool Sandbox::exists() const {
    return fs::exists(m_dir / "instance.json");
}

SandboxRecord Sandbox::record() const {
    const auto text = core::read_file(m_dir / "instance.json");
    if (!text) throw Error(ErrorKind::Other, "local instance " + m_name + " has no record");
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object())
        throw Error(ErrorKind::Other, "local instance " + m_name + ": broken record");
    SandboxRecord r;
    r.name = j.value("name", m_name);
    r.cluster = j.value("cluster", "");
    r.role = j.value("role", "worker");
    r.type = j.value("type", "");
    r.gpu_model = j.value("gpu_model", "");
    r.gpu_count = j.value("gpu_count", 0);
    r.address = j.value("address", "");
    r.port = j.value("port", 0);
    r.netns = j.value("netns", "");
    r.user = j.value("user", "");
    r.created_at = j.value("created_at", 0LL);
    r.slurm_conf = j.value("slurm_conf", "");
    return r;
}

void Sandbox::write_record(const SandboxRecord& r) const {
    core::ensure_dir(m_dir, 0700);
    core::write_file(m_dir / "instance.json", to_json(r).dump(2) + "\n", 0600);
}

void Sandbox::write_layout(const SandboxRecord& r, const std::vector<std::string>& keys) const {
    const fs::path etc = m_dir / "etc", bin = m_dir / "bin", home = m_dir / "home";
    for (const auto& d : {etc, bin, m_dir / "run", m_dir / "log", home, home / ".ssh"})
        core::ensure_dir(d, 0700);
    ::chmod(m_dir.c_str(), 0755);  // sshd (privilege separated) must reach etc/ and bin/
    ::chmod(bin.c_str(), 0755);
    ::chmod(etc.c_str(), 0755);

    const fs::path host_key = etc / "ssh_host_ed25519_key";
    if (!fs::exists(host_key)) core::generate_keypair(host_key, r.name);
    std::string authorized;
    for (const auto& k : keys)
        authorized += k + "\n";
    core::write_file(etc / "authorized_keys", authorized, 0600);
    core::write_file(bin / "session", k_session_script, 0755);
    core::write_file(bin / "ssh", k_ssh_shim, 0755);
    core::write_file(bin / "nvidia-smi", nvidia_smi_script(r), 0755);
    core::write_file(home / ".profile", "[ -f \"$HOME/.bashrc\" ] && . \"$HOME/.bashrc\"\n", 0644);
    core::write_file(home / ".bashrc",
                     "PS1='\\u@" + r.name +
                         ":\\w\\$ '\n"
                         "export GRID_GPUS=" +
                         std::to_string(r.gpu_count) + "\n",
                     0644);

    const std::string path_env = bin.string() + ":/usr/local/bin:/usr/bin:/bin";
    std::string c;
    c += "# grid local provider: instance " + r.name + " of cluster " + r.cluster + "\n";
    c += "ListenAddress " + r.address + ":" + std::to_string(r.port) + "\n";
    c += "HostKey " + q(host_key.string()) + "\n";
    c += "PidFile " + q((m_dir / "run" / "sshd.pid").string()) + "\n";
    c += "AuthorizedKeysFile " + q((etc / "authorized_keys").string()) + "\n";
    c += "AllowUsers " + r.user + "\n";
    c += "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n";
    c += "HostbasedAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n";
    // The sandbox lives under the user's state directory, whose parents (such as /tmp) sshd's
    // strict mode would reject; grid creates every file here with tight modes itself.
    c += "StrictModes no\n";
    c += "PermitUserEnvironment no\nPrintMotd no\nPrintLastLog no\nX11Forwarding no\n";
    c += "AllowTcpForwarding yes\nAllowAgentForwarding yes\nUseDNS no\n";
    c += "Subsystem sftp " + sftp_server() + "\n";
    c += "SetEnv " + q("HOME=" + home.string()) + " " + q("PATH=" + path_env) + " " +
         q("GRID_INSTANCE=" + r.name) + " " + q("GRID_CLUSTER=" + r.cluster) + " " +
         q("GRID_SANDBOX=" + m_dir.string()) +
         (r.slurm_conf.empty() ? "" : " " + q("SLURM_CONF=" + r.slurm_conf)) + "\n";
    // sshd runs ForceCommand with the user's shell. For the usual shells the session's
    // start is written inline, which saves two program starts per session over the script.
    c += "ForceCommand " +
         (posix_login_shell() ? std::string(k_inline_session) : q((bin / "session").string())) +
         "\n";
    core::write_file(etc / "sshd_config", c, 0644);
}

std::string sandbox_marker(const fs::path& dir) {
    return "GRID_SANDBOX=" + dir.string();
}

void stop_marked_processes(const fs::path& dir, bool prefix) {
    // Sessions detach (setsid, nohup, daemons) but keep the environment grid gave them.
    const std::string in_command_line = dir.string() + (prefix ? "" : "/");
    for (int round = 0; round < 5; ++round) {
        auto left = core::processes_with_env(sandbox_marker(dir), prefix);
        for (const pid_t p : core::processes_with_cmdline(in_command_line))
            left.push_back(p);
        if (left.empty()) return;
        for (const pid_t p : left)
            core::stop_process(p, std::chrono::seconds(1));
    }
}

core::RunResult run_on_node(const SandboxRecord& r, const fs::path& dir,
                            const std::vector<std::string>& argv, std::vector<std::string> env) {
    core::RunOptions o;
    o.timeout = std::chrono::seconds(30);
    env.push_back(sandbox_marker(dir));  // what destroy() stops
    o.env = std::move(env);
    // As root the node gets its own UTS namespace, so `hostname` answers with the instance's
    // name as on a cloud node; without the privilege it shares this machine's name.
    const std::string host = r.name;
    // The cluster's network namespace is opened here and joined in the child.
    int netns_fd = -1;
    if (!r.netns.empty()) {
        netns_fd = ::open(netns_path(r.netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (netns_fd < 0)
            throw Error(ErrorKind::Provider, "cluster network " + r.netns + " is gone");
    }
    if (::geteuid() == 0)
        o.child_setup = [&host, netns_fd] {
            if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) ::_exit(126);
            if (::unshare(CLONE_NEWUTS) == 0) ::sethostname(host.data(), host.size());
        };
    struct CloseFd {
        int fd;
        ~CloseFd() {
            if (fd >= 0) ::close(fd);
        }
    } close_netns{netns_fd};
    return core::run(argv, o);
}

bool Sandbox::start_sshd(const SandboxRecord& r, std::string& error) const {
    const fs::path pid_file = m_dir / "run" / "sshd.pid";
    const fs::path log = m_dir / "log" / "sshd.log";
    std::error_code ec;
    fs::remove(pid_file, ec);
    const auto run = [&](const std::vector<std::string>& argv) {
        try {
            return run_on_node(r, m_dir, argv, {});
        } catch (const Error& e) {
            core::RunResult failed;
            failed.exit_code = 1;
            failed.err = e.what();
            return failed;
        }
    };
    // -r: no re-exec of sshd for each connection, which on a cluster being created (every node
    // probed at once) is a quarter of sshd's work. OpenSSH 9.8 and later dropped the option.
    static std::atomic<bool> no_reexec{true};
    std::vector<std::string> argv{k_sshd, "-f", (m_dir / "etc" / "sshd_config").string(), "-E",
                                  log.string()};
    if (no_reexec) argv.push_back("-r");
    auto res = run(argv);
    if (res.exit_code != 0 && no_reexec && res.err.find("option") != std::string::npos) {
        no_reexec = false;
        argv.pop_back();
        res = run(argv);
    }
    if (res.exit_code != 0) {
        const auto text = core::read_file(log).value_or("");
        error = "sshd failed: " + sshd_failure(res.err.empty() ? text : res.err);
        return false;
    }
    // sshd daemonizes, then listens, then writes its pid file: the file means it listens.
    for (int i = 0; i < 600; ++i) {
        if (sshd_pid() != 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    error = "sshd did not start: " + sshd_failure(core::read_file(log).value_or("(no log)"));
    return false;
}

void Sandbox::mark_launching() const {
    const pid_t self = ::getpid();
    core::ensure_dir(m_dir / "run", 0700);
    core::write_file(
        m_dir / "run" / "launching",
        std::to_string(self) + " " + std::to_string(core::process_start_time(self)) + "\n", 0600);
}

bool Sandbox::starting() const {
    const auto text = core::read_file(m_dir / "run" / "launching");
    if (!text) return false;
    long long pid = 0, start = 0;
    if (std::sscanf(text->c_str(), "%lld %lld", &pid, &start) != 2) return false;
    return core::process_start_time(static_cast<pid_t>(pid)) == start && start != 0;
}

void Sandbox::start(const SandboxRecord& record, const std::vector<std::string>& keys) {
    struct Launched {  // started or failed: no longer starting, either way
        fs::path file;
        ~Launched() {
            std::error_code ec;
            fs::remove(file, ec);
        }
    } launched{m_dir / "run" / "launching"};
    SandboxRecord r = record;
    write_layout(r, keys);
    std::string error;
    // The port was free when chosen, but another program may take it before sshd binds it.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (start_sshd(r, error)) {
            std::error_code ec;
            fs::remove(m_dir / "error", ec);
            return;
        }
        if (error.find("in use") == std::string::npos) break;
        r.port = free_port(r.address);
        write_record(r);
        write_layout(r, keys);
    }
    core::write_file(m_dir / "error", error + "\n", 0600);
    throw Error(ErrorKind::Provider, m_name + ": " + error);
}

pid_t Sandbox::sshd_pid() const {
    const auto text = core::read_file(m_dir / "run" / "sshd.pid");
    if (!text) return 0;
    const pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
    if (!core::process_alive(pid)) return 0;
    // A recycled pid belongs to someone else: check that it is our sshd.
    const std::string cmd = core::process_cmdline(pid);
    if (cmd.find("sshd") == std::string::npos ||
        cmd.find((m_dir / "etc" / "sshd_config").string()) == std::string::npos)
        return 0;
    return pid;
}

std::string Sandbox::host_key() const {
    const auto text = core::read_file(m_dir / "etc" / "ssh_host_ed25519_key.pub");
    if (!text) return {};
    // "type data comment": known_hosts wants type and data only.
    const auto first = text->find(' ');
    const auto second = first == std::string::npos ? first : text->find(' ', first + 1);
    std::string key = text->substr(0, second);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r'))
        key.pop_back();
    return key;
}

std::string Sandbox::failure() const {
    auto text = core::read_file(m_dir / "error").value_or("");
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

void Sandbox::destroy() {
    using namespace std::chrono_literals;
    // The listener first, so that no new session starts while the others are stopped.
    if (const pid_t master = sshd_pid()) {
        const auto children = core::descendants(master);
        core::stop_process(master, 2s);
        for (const pid_t p : children)
            core::stop_process(p, 1s);
    }
    stop_marked_processes(m_dir);
    std::error_code ec;
    fs::remove_all(m_dir, ec);
}

}  // namespace backends::local
