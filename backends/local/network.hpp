#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace backends::local {

// The private network of a multi-node cluster: a network namespace of its own, joined to this
// machine by a veth pair. The jumphost listens on the namespace's end of the pair, the only
// address of the cluster this machine can reach; the workers listen on the namespace's own
// loopback, which nothing outside it can reach. So, as on a cloud, workers are reached only
// through the jumphost. Needs root (and iproute2); without, clusters use plain loopback
// addresses of this machine.
struct Network {
    std::string cluster;
    std::string netns;          // "grid-<cluster>", under /run/netns
    std::string host_link;      // this machine's end of the veth pair
    std::string host_address;   // 10.213.x.y
    std::string entry_address;  // the namespace's end: where the jumphost listens
};

// Whether this process may create network namespaces.
bool namespaces_available();

// Creates the cluster's network, or returns the one recorded in `dir` (a retried launch).
// Throws core::Error (Provider) when the kernel or iproute2 refuses.
Network create_network(const std::filesystem::path& dir, const std::string& cluster_id);
std::optional<Network> find_network(const std::filesystem::path& dir,
                                    const std::string& cluster_id);
// Deletes the namespace (and with it the veth pair) and its record. Unknown is not an error.
void delete_network(const std::filesystem::path& dir, const std::string& cluster_id);

// The path to join with setns(2).
std::filesystem::path netns_path(const std::string& netns);

}  // namespace backends::local
