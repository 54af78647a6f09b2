// configure: the engine's own checks that end CONFIGURING, over ssh.

#include <algorithm>

#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

namespace core {

namespace {

constexpr std::chrono::seconds k_probe_timeout{30};

}  // namespace

ProbeResult probe_result(const ShellResult& r) {
    ProbeResult p;
    p.ok = r.ok();
    p.out = r.out;
    if (!p.ok) {
        p.error = r.timed_out ? "ssh timed out" : first_line(r.err);
        if (p.error.empty()) p.error = "ssh exited with " + std::to_string(r.exit_code);
        p.rejected = r.err.find("Permission denied") != std::string::npos;
    }
    return p;
}

// The engine's own checks that end CONFIGURING: every node answers ssh, and the jumphost
// of a multi-node cluster can reach every worker by name.
void Engine::Impl::configure(Cluster& c) {
    const bool any = std::any_of(c.instances.begin(), c.instances.end(),
                                 [](const Instance& i) { return i.state == State::Configuring; });
    if (!any) return;
    // Every node needs its address before the files that name them all are written.
    for (const auto& i : c.instances)
        if (i.state == State::Pending || i.state == State::Provisioning) return;
    if (clock.now() < probe_backoff[c.id].next) return;
    const SshFiles files = ssh_files(paths, c.id);
    write_ssh_files(c, files);

    const Instance* entry = entry_node(c);
    if (!entry || !is_live(entry->state)) return;
    std::vector<const Instance*> workers;
    if (c.multi_node())
        for (const auto& i : c.instances)
            if (i.role == Role::Worker && i.state == State::Configuring) workers.push_back(&i);
    if (entry->state != State::Configuring && workers.empty()) return;

    // One ssh to the entry node. On a multi-node cluster it also learns the workers' names
    // and the cluster key, and checks every worker from inside the cluster's network, all
    // at once: N handshakes in parallel instead of N jumps from here.
    const ProbeResult p = probe_result(
        shell.run(c, entry->id, c.multi_node() ? jumphost_setup_script(c, files) : "true\n",
                  k_probe_timeout));
    if (!p.ok) return fail_or_wait(c, *entry, p);
    if (entry->state == State::Configuring) move(*entry, State::Running, "answers ssh");
    for (const Instance* w : workers) {
        const std::string ok = "grid-ok " + w->id + "\n";
        if (p.out.find(ok) != std::string::npos) {
            move(*w, State::Running, "answers ssh from the jumphost");
            continue;
        }
        ProbeResult down;
        const auto at = p.out.find("grid-down " + w->id + " ");
        down.error = at == std::string::npos ? "no answer"
                                             : first_line(p.out.substr(at + 11 + w->id.size()));
        down.rejected = down.error.find("Permission denied") != std::string::npos;
        fail_or_wait(c, *w, down);
    }
    c = load(c.id);
}

void Engine::Impl::fail_or_wait(const Cluster& c, const Instance& i, const ProbeResult& p) {
    last_probe_error[i.id] = p.error;
    if (p.rejected) return (void)move(i, State::Failed, "ssh rejected the cluster key: " + p.error);
    observer.on_progress(i.id + ": waiting for ssh (" + p.error + ")");
    Backoff& b = probe_backoff[c.id];
    b.next = clock.now() + b.delay;
    b.delay = std::min<std::chrono::milliseconds>(b.delay * 2, std::chrono::seconds(5));
}

// Installs the cluster key and the workers' names on the jumphost, then checks from there
// that every worker answers. Sent on stdin: a private key never appears in a command line.
std::string Engine::Impl::jumphost_setup_script(const Cluster& c, const SshFiles& files) {
    const auto key = read_file(files.key);
    if (!key) throw Error(ErrorKind::Other, "cluster key missing: " + files.key.string());
    std::string s = "set -e\numask 077\nmkdir -p ~/.ssh\n";
    s += "cat > ~/.ssh/id_ed25519 <<'GRID_EOF'\n" + *key + "GRID_EOF\n";
    s += "cat > ~/.ssh/config <<'GRID_EOF'\n" + jumphost_ssh_config_text(c) + "GRID_EOF\n";
    s += "cat > ~/.ssh/known_hosts <<'GRID_EOF'\n" + known_hosts_text(c) + "GRID_EOF\n";
    s += "set +e\n";
    s += "check() {\n"
         "    if out=$(/usr/bin/ssh -F ~/.ssh/config -o BatchMode=yes -o ConnectTimeout=10 -o "
         "LogLevel=ERROR "
         "-o KexAlgorithms=curve25519-sha256,sntrup761x25519-sha512@openssh.com \"$1\" true "
         "</dev/null 2>&1)\n"
         "    then echo \"grid-ok $1\"\n"
         "    else echo \"grid-down $1 $(printf '%s' \"$out\" | head -n 1)\"\n"
         "    fi\n"
         "}\n";
    for (const auto& i : c.instances)
        if (i.role == Role::Worker && i.state == State::Configuring) s += "check " + i.id + " &\n";
    s += "wait\n";
    return s;
}

}  // namespace core
