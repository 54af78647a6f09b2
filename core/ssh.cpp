#include "core/ssh.hpp"

#include <sstream>

#include "core/digest.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/keygen.hpp"
#include "core/process.hpp"
#include "core/text.hpp"

namespace core {

namespace fs = std::filesystem;

namespace {

bool is_base64(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
        if (!ok) return false;
    }
    return true;
}

bool known_key_type(std::string_view t) {
    return t == "ssh-ed25519" || t == "ssh-rsa" || t == "ecdsa-sha2-nistp256" ||
           t == "ecdsa-sha2-nistp384" || t == "ecdsa-sha2-nistp521" ||
           t == "sk-ssh-ed25519@openssh.com" || t == "sk-ecdsa-sha2-nistp256@openssh.com";
}

// ssh_config values with spaces must be quoted.
std::string quoted(const fs::path& p) {
    return "\"" + p.string() + "\"";
}

const Instance* jumphost_of(const Cluster& c) {
    for (const auto& i : c.instances)
        if (i.role == Role::Jumphost) return &i;
    return nullptr;
}

std::string address_of(const Cluster& c, const Instance& i) {
    // Workers of a multi-node cluster are reached on their private address from the jumphost.
    if (c.multi_node() && i.role == Role::Worker) return i.private_ip;
    return i.public_ip.empty() ? i.private_ip : i.public_ip;
}

}  // namespace

std::string PublicKey::line() const {
    return comment.empty() ? type + " " + data : type + " " + data + " " + comment;
}

std::optional<PublicKey> parse_public_key(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
        line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ')
        line.remove_prefix(1);
    if (line.find('\n') != std::string_view::npos) return std::nullopt;
    std::istringstream in{std::string(line)};
    PublicKey k;
    if (!(in >> k.type >> k.data)) return std::nullopt;
    if (!known_key_type(k.type) || !is_base64(k.data)) return std::nullopt;
    std::getline(in >> std::ws, k.comment);
    return k;
}

PublicKey read_public_key_file(const fs::path& path) {
    const auto text = read_file(path);
    if (!text)
        throw Error(ErrorKind::Usage, "cannot read public key " + path.string(),
                    "create one with: ssh-keygen -t ed25519");
    if (text->find("PRIVATE KEY") != std::string::npos)
        throw Error(ErrorKind::Usage, path.string() + " is a private key",
                    "pass the public half: " + path.string() + ".pub");
    const auto key = parse_public_key(*text);
    if (!key)
        throw Error(ErrorKind::Usage, path.string() + " is not an OpenSSH public key",
                    "pass a file such as ~/.ssh/id_ed25519.pub");
    // The comment names the key in lists: it is shown on terminals.
    if (has_control_characters(key->comment))
        throw Error(ErrorKind::Usage,
                    "the comment of " + path.string() +
                        " holds control characters: " + quoted_input(key->comment),
                    "edit the comment (the text after the key) in the file");
    return *key;
}

std::string key_fingerprint(const PublicKey& key) {
    // As ssh-keygen -l: SHA-256 of the decoded blob, in base64 without its padding.
    const auto blob = base64_decode(key.data);
    if (!blob) throw Error(ErrorKind::Usage, "not an OpenSSH public key: its data is not base64");
    std::string b64 = base64_encode(sha256(*blob));
    while (!b64.empty() && b64.back() == '=')
        b64.pop_back();
    return "SHA256:" + b64;
}

void generate_keypair(const fs::path& private_key, const std::string& comment) {
    ensure_dir(private_key.parent_path());
    std::error_code ec;
    fs::remove(private_key, ec);
    fs::remove(private_key.string() + ".pub", ec);
    if (const auto pair = ed25519_keypair(comment)) {
        write_file(private_key, pair->private_key, 0600);
        write_file(private_key.string() + ".pub", pair->public_key + "\n", 0644);
        return;
    }
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    const auto r = run(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", private_key.string()},
        o);
    if (r.exit_code != 0) throw Error(ErrorKind::Other, "ssh-keygen failed: " + r.err);
}

SshFiles ssh_files(const Paths& paths, const std::string& cluster_id) {
    SshFiles f;
    f.dir = paths.cluster_dir(cluster_id);
    f.key = f.dir / "id_ed25519";
    f.config = f.dir / "ssh_config";
    f.known_hosts = f.dir / "known_hosts";
    return f;
}

std::vector<SshHost> ssh_hosts(const Cluster& c) {
    std::vector<SshHost> hosts;
    const Instance* jump = jumphost_of(c);
    for (const auto& i : c.instances) {
        SshHost h;
        h.hostname = address_of(c, i);
        if (h.hostname.empty() || !is_live(i.state)) continue;
        h.alias = i.id;
        h.port = i.ssh_port;
        h.user = i.ssh_user;
        h.host_key_known = !i.host_key.empty();
        if (c.multi_node() && i.role == Role::Worker && jump) h.proxy_jump = jump->id;
        hosts.push_back(std::move(h));
    }
    return hosts;
}

std::string ssh_config_text(const Cluster& c, const SshFiles& files) {
    std::ostringstream out;
    out << "# grid cluster " << c.id;
    if (!c.name.empty()) out << " (" << c.name << ")";
    out << ": " << c.nodes << " x " << c.type << " on " << c.provider << "\n";
    for (const auto& h : ssh_hosts(c)) {
        out << "Host " << h.alias << "\n";
        out << "  HostName " << h.hostname << "\n";
        out << "  Port " << h.port << "\n";
        if (!h.user.empty()) out << "  User " << h.user << "\n";
        out << "  HostKeyAlias " << h.alias << "\n";
        out << "  IdentityFile " << quoted(files.key) << "\n";
        out << "  UserKnownHostsFile " << quoted(files.known_hosts) << "\n";
        out << "  StrictHostKeyChecking " << (h.host_key_known ? "yes" : "accept-new") << "\n";
        if (!h.proxy_jump.empty()) out << "  ProxyJump " << h.proxy_jump << "\n";
    }
    return out.str();
}

std::string known_hosts_text(const Cluster& c) {
    std::string out;
    for (const auto& i : c.instances)
        if (!i.host_key.empty()) out += i.id + " " + i.host_key + "\n";
    return out;
}

std::string jumphost_ssh_config_text(const Cluster& c) {
    std::ostringstream out;
    out << "# written by grid: the workers of cluster " << c.id << "\n";
    for (const auto& i : c.instances) {
        if (i.role != Role::Worker || i.private_ip.empty()) continue;
        out << "Host " << i.id << " " << i.private_ip << "\n";
        out << "  HostName " << i.private_ip << "\n";
        out << "  Port " << i.ssh_port << "\n";
        if (!i.ssh_user.empty()) out << "  User " << i.ssh_user << "\n";
        out << "  HostKeyAlias " << i.id << "\n";
        // ${HOME}, not ~: ssh expands ~ to the passwd home, which a node may not use as HOME.
        out << "  IdentityFile ${HOME}/.ssh/id_ed25519\n";
        out << "  UserKnownHostsFile ${HOME}/.ssh/known_hosts\n";
        out << "  StrictHostKeyChecking " << (i.host_key.empty() ? "accept-new" : "yes") << "\n";
    }
    return out.str();
}

void write_ssh_files(const Cluster& c, const SshFiles& files) {
    ensure_dir(files.dir);
    write_file(files.config, ssh_config_text(c, files), 0600);
    write_file(files.known_hosts, known_hosts_text(c), 0600);
}

std::vector<std::string> ssh_argv(const SshFiles& files, const std::string& instance_id, bool batch,
                                  const std::vector<std::string>& command) {
    std::vector<std::string> argv{"ssh", "-F", files.config.string()};
    if (batch) {
        // Probes prefer the cheaper key exchange: on a cluster being created every node is
        // probed at once, and the post-quantum hybrid costs several times the CPU.
        argv.insert(argv.end(),
                    {"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o",
                     "KexAlgorithms=curve25519-sha256,sntrup761x25519-sha512@openssh.com", "-T"});
    }
    // "--" before the host: nothing after it, the command included, is read as an ssh option.
    argv.push_back("--");
    argv.push_back(instance_id);
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
}

}  // namespace core
