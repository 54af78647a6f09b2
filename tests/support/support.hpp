#pragma once

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

  private:
    TempDir m_dir;
    std::filesystem::path m_state;
    std::vector<std::string> m_env;
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
