#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace test {

// A directory removed when the object goes out of scope.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  private:
    std::filesystem::path m_path;
};

struct Result {
    int code = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const;  // parses out; fails the test when it is not one document
};

// A private grid world: its own state directory and config file, and a user key pair.
class Grid {
  public:
    Grid();
    ~Grid();  // destroys whatever clusters the test left behind

    Result run(const std::vector<std::string>& args, const std::string& input = {}) const;
    // The same, failing the test unless grid exits 0.
    Result ok(const std::vector<std::string>& args) const;
    // Creates a cluster and returns its id.
    std::string create(const std::vector<std::string>& args) const;

    void write_config(const std::string& toml) const;
    // Sets a variable of grid's environment ("KEY=VALUE"), replacing an earlier value.
    void add_env(const std::string& entry);
    void destroy_all() const;  // every cluster of this world, ended ones too
    const std::filesystem::path& state_dir() const { return m_state; }
    std::filesystem::path config_file() const { return m_dir.path() / "config.toml"; }
    std::filesystem::path pubkey() const { return m_dir.path() / "id_ed25519.pub"; }
    std::filesystem::path key() const { return m_dir.path() / "id_ed25519"; }
    std::vector<std::string> env() const;

    // The sshd pids of a cluster's sandboxes, read before it is destroyed.
    std::vector<int> sshd_pids(const std::string& cluster_id) const;
    // Processes still carrying a sandbox's marker in their environment.
    std::vector<int> sandbox_processes() const;
    // What a local cluster holds on this machine, counted by its names and markers, whatever
    // the store says: its processes, its network namespace and veth, its /run directory.
    std::vector<std::string> leftovers(const std::string& cluster_id) const;
    // The id of the newest cluster once it appears in the store (a create in another process
    // inserts it before launching); "" when none does within `limit`.
    std::string wait_for_new_cluster(const std::vector<std::string>& known,
                                     std::chrono::milliseconds limit) const;

  private:
    TempDir m_dir;
    std::filesystem::path m_state;
    std::vector<std::string> m_env;
};

// A grid command running in the background, to signal and to wait for. Its output goes to
// files of its own. Killed (SIGKILL) at the end if it still runs.
class Background {
  public:
    Background(const Grid& g, const std::vector<std::string>& args);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    int pid() const { return m_pid; }
    void signal(int sig) const;
    // Its exit code (128 + signal when a signal ended it), or -1 if it still runs after `limit`.
    int wait(std::chrono::seconds limit);
    std::string out() const;
    std::string err() const;

  private:
    TempDir m_dir;
    int m_pid = -1;
    int m_code = -1;
};

// A TCP port on 127.0.0.1 that nothing listens on now (it may be taken before it is used).
int free_loopback_port();
// Whether something accepts connections on address:port.
bool accepts(int port, const std::string& address = "127.0.0.1");

// Prints why and exits 77, which ctest reports as skipped.
[[noreturn]] void skip(const std::string& why);
bool have_program(const std::string& name);
void require_sshd();  // skips the test when the local provider cannot work here

}  // namespace test
