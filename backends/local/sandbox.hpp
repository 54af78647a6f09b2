#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.hpp"

namespace backends::local {

// One instance of the local provider, as recorded in its directory. The directory is the
// reservation: capacity is what the existing directories do not already hold.
struct SandboxRecord {
    std::string name;
    std::string cluster;
    std::string role;  // "jumphost" or "worker"
    std::string type;
    std::string gpu_model;
    int gpu_count = 0;
    std::string address;
    int port = 0;
    std::string netns;  // the cluster's network namespace, or "" for this machine's network
    std::string user;
    long long created_at = 0;
    std::string slurm_conf;  // SLURM_CONF in its sessions; "" when the cluster runs no Slurm
};

class Sandbox {
  public:
    Sandbox(std::filesystem::path root, std::string name);

    const std::filesystem::path& dir() const { return m_dir; }
    const std::string& name() const { return m_name; }

    bool exists() const;
    SandboxRecord record() const;  // throws when the record is missing or broken
    void write_record(const SandboxRecord& record) const;

    // Says that this process is about to start the sandbox: until start() has succeeded or
    // failed, the sandbox is starting, not broken (see starting()).
    void mark_launching() const;
    // Lays out the workspace, host key and sshd configuration, then starts sshd and waits
    // until it listens. Throws core::Error with sshd's own words when it cannot.
    void start(const SandboxRecord& record, const std::vector<std::string>& authorized_keys);
    pid_t sshd_pid() const;  // 0 when sshd is not running
    // A process that is starting the sandbox still runs and has not finished.
    bool starting() const;
    std::string host_key() const;
    std::string failure() const;  // why start() failed, when it did

    // Stops sshd and every process started from a session of this sandbox, then removes it.
    void destroy();

  private:
    void write_layout(const SandboxRecord& record, const std::vector<std::string>& keys) const;
    bool start_sshd(const SandboxRecord& record, std::string& error) const;

    std::filesystem::path m_dir;
    std::string m_name;
};

// Runs a program as if on the node: in the cluster's network, under the node's host name (as
// root), with `env` added and the sandbox's marker, so that destroy() stops it and whatever it
// leaves running; a daemon that forks into the background outlives the call.
core::RunResult run_on_node(const SandboxRecord& record, const std::filesystem::path& dir,
                            const std::vector<std::string>& argv, std::vector<std::string> env);

// The marker a sandbox's processes carry in their environment ("GRID_SANDBOX=<dir>").
std::string sandbox_marker(const std::filesystem::path& dir);
// Stops every process marked with the sandbox `dir`, or with `prefix`, with any marker that
// starts with it (the instances directory joined with "{cluster}-": every sandbox of a cluster).
// sshd is found by its command line, which names its sandbox's configuration: it writes its
// title over its environment.
void stop_marked_processes(const std::filesystem::path& dir, bool prefix = false);

// Loopback addresses: entry nodes on 127.0.x.y ("public"), workers on 127.1.x.y ("private").
std::string loopback_address(bool is_public, int index);
// A port nobody listens on right now at `address`.
int free_port(const std::string& address);

}  // namespace backends::local
