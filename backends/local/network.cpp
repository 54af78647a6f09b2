#include "backends/local/network.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

namespace backends::local {

namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

// 10.213.0.0/16 in /30 blocks: one per cluster, machine-wide (every grid state directory on
// this machine shares the kernel's addresses), chosen under a machine-wide lock.
constexpr const char* k_prefix = "10.213.";
constexpr int k_blocks = 16384;
const fs::path k_lock = "/run/lock/grid-local-networks.lock";

std::string block_address(int block, int host) {
    const int base = block * 4 + host;
    return std::string(k_prefix) + std::to_string(base / 256) + "." + std::to_string(base % 256);
}

core::RunResult ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    core::RunOptions o;
    o.timeout = std::chrono::seconds(30);
    return core::run(argv, o);
}

void ip_or_throw(const std::vector<std::string>& args) {
    const auto r = ip(args);
    if (r.exit_code != 0) {
        std::string cmd = "ip";
        for (const auto& a : args)
            cmd += " " + a;
        std::string err = r.err;
        while (!err.empty() && err.back() == '\n')
            err.pop_back();
        throw Error(ErrorKind::Provider, "cannot set up the cluster network: " + cmd + ": " + err);
    }
}

// Blocks whose host address is configured on this machine now.
std::set<int> used_blocks() {
    std::set<int> used;
    std::istringstream in(ip({"-o", "-4", "addr", "show"}).out);
    std::string line;
    while (std::getline(in, line)) {
        const auto at = line.find(std::string("inet ") + k_prefix);
        if (at == std::string::npos) continue;
        int a = 0, b = 0;
        if (std::sscanf(line.c_str() + at + 5 + std::string(k_prefix).size(), "%d.%d", &a, &b) == 2)
            used.insert((a * 256 + b) / 4);
    }
    return used;
}

fs::path record_path(const fs::path& dir, const std::string& cluster_id) {
    return dir / (cluster_id + ".json");
}

// The names follow from the cluster id, so that what a create cut short left is found
// without its record.
std::string netns_name(const std::string& cluster_id) {
    return "grid-" + cluster_id;
}
std::string host_link_name(const std::string& cluster_id) {
    return "g" + cluster_id;  // interface names are at most 15 characters
}

void write_record(const fs::path& dir, const Network& n) {
    const nlohmann::json j = {{"netns", n.netns},
                              {"host_link", n.host_link},
                              {"host_address", n.host_address},
                              {"entry_address", n.entry_address}};
    core::write_file(record_path(dir, n.cluster), j.dump(2) + "\n", 0600);
}

}  // namespace

bool namespaces_available() {
    return ::geteuid() == 0 &&
           (::access("/usr/sbin/ip", X_OK) == 0 || ::access("/sbin/ip", X_OK) == 0 ||
            ::access("/usr/bin/ip", X_OK) == 0);
}

fs::path netns_path(const std::string& netns) {
    return fs::path("/run/netns") / netns;
}

std::optional<Network> find_network(const fs::path& dir, const std::string& cluster_id) {
    const auto text = core::read_file(record_path(dir, cluster_id));
    if (!text) return std::nullopt;
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    Network n;
    n.cluster = cluster_id;
    n.netns = j.value("netns", "");
    n.host_link = j.value("host_link", "");
    n.host_address = j.value("host_address", "");
    n.entry_address = j.value("entry_address", "");
    return n;
}

Network create_network(const fs::path& dir, const std::string& cluster_id) {
    if (auto existing = find_network(dir, cluster_id);
        existing && fs::exists(netns_path(existing->netns)))
        return *existing;
    core::ensure_dir(dir, 0700);
    core::ensure_dir(k_lock.parent_path(), 0755);
    core::FileLock lock(k_lock);
    const auto used = used_blocks();
    int block = 0;
    while (block < k_blocks && used.count(block))
        ++block;
    if (block == k_blocks)
        throw Error(ErrorKind::Provider, "no free address block for a cluster network");

    Network n;
    n.cluster = cluster_id;
    n.netns = netns_name(cluster_id);
    n.host_link = host_link_name(cluster_id);
    n.host_address = block_address(block, 1);
    n.entry_address = block_address(block, 2);
    const std::string peer = n.host_link + "p";
    // Recorded before it exists: a create killed half-way leaves a record to find it by.
    write_record(dir, n);
    try {
        ip_or_throw({"netns", "add", n.netns});
        ip_or_throw(
            {"link", "add", n.host_link, "type", "veth", "peer", "name", peer, "netns", n.netns});
        ip_or_throw({"addr", "add", n.host_address + "/30", "dev", n.host_link});
        ip_or_throw({"link", "set", n.host_link, "up"});
        ip_or_throw({"-n", n.netns, "addr", "add", n.entry_address + "/30", "dev", peer});
        ip_or_throw({"-n", n.netns, "link", "set", peer, "up"});
        ip_or_throw({"-n", n.netns, "link", "set", "lo", "up"});
    } catch (const Error&) {
        delete_network(dir, cluster_id);
        throw;
    }
    return n;
}

void delete_network(const fs::path& dir, const std::string& cluster_id) {
    // By the names the cluster's network always has, whatever the record says (or whether
    // there is one): a create killed between two steps leaves either.
    const std::string netns = netns_name(cluster_id), link = host_link_name(cluster_id);
    if (fs::exists(netns_path(netns))) ip({"netns", "del", netns});
    // The veth pair goes with the namespace; this is for a namespace some process still holds.
    if (fs::exists(fs::path("/sys/class/net") / link)) ip({"link", "del", link});
    std::error_code ec;
    fs::remove(record_path(dir, cluster_id), ec);
}

}  // namespace backends::local
