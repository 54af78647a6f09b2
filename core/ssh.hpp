#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/model.hpp"

namespace core {

struct PublicKey {
    std::string type;          // "ssh-ed25519"
    std::string data;          // base64 blob
    std::string comment;       // may be empty
    std::string line() const;  // "type data [comment]"
};

// Parses one OpenSSH public key line; nullopt for anything else (a private key included).
std::optional<PublicKey> parse_public_key(std::string_view line);
// Reads a public key file such as ~/.ssh/id_ed25519.pub. Throws core::Error (Usage).
PublicKey read_public_key_file(const std::filesystem::path& path);
// "SHA256:..." as ssh-keygen -l prints it.
std::string key_fingerprint(const PublicKey& key);
// Creates an ed25519 key pair without a passphrase at `private_key` (0600) and `.pub`.
void generate_keypair(const std::filesystem::path& private_key, const std::string& comment);

// The client-side files grid keeps per cluster: its key pair, an ssh_config with a Host block
// per node, and the nodes' host keys.
struct SshFiles {
    std::filesystem::path dir;
    std::filesystem::path key;  // private half; ".pub" beside it
    std::filesystem::path config;
    std::filesystem::path known_hosts;
};
SshFiles ssh_files(const Paths& paths, const std::string& cluster_id);

// Host blocks for every node of the cluster that has an address; workers of a multi-node
// cluster go through the jumphost (ProxyJump).
// One Host block of a cluster's ssh_config: how a node is reached from this machine.
struct SshHost {
    std::string alias;  // the instance id
    std::string hostname;
    int port = 22;
    std::string user;
    std::string proxy_jump;  // empty unless the node is a worker behind the jumphost
    bool host_key_known = false;
};
std::vector<SshHost> ssh_hosts(const Cluster& cluster);

std::string ssh_config_text(const Cluster& cluster, const SshFiles& files);
std::string known_hosts_text(const Cluster& cluster);
// The same, as seen from the jumphost: how it reaches the workers by name.
std::string jumphost_ssh_config_text(const Cluster& cluster);

// Writes the config and known_hosts files of the cluster (the key pair is made at create).
void write_ssh_files(const Cluster& cluster, const SshFiles& files);

// argv for ssh to one node using the cluster's files. `batch` forbids prompts (for probes).
std::vector<std::string> ssh_argv(const SshFiles& files, const std::string& instance_id, bool batch,
                                  const std::vector<std::string>& command);

}  // namespace core
