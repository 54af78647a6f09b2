#pragma once

// The real Slurm cluster that the ctest fixture `slurm` starts (tests/slurm/fixture.sh), and
// Slurm's own commands, which the tests take as the oracle.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace test {

class Slurm {
  public:
    // Skips the test (exit 77, saying why) when this machine cannot run Slurm; fails it when
    // the fixture did not run or failed.
    Slurm();

    std::string url() const { return m_env.at("SLURMRESTD_URL"); }
    std::string token() const { return m_env.at("SLURMRESTD_TOKEN"); }
    std::string conf() const { return m_env.at("SLURM_CONF"); }
    std::string dir() const { return m_dir; }

    // Runs a Slurm command (sbatch, squeue, scontrol, ...) against this cluster; fails the
    // test unless it exits 0. Returns stdout.
    std::string run(const std::vector<std::string>& argv) const;
    // sbatch --parsable ARGS...; the job id.
    std::string submit(const std::vector<std::string>& args) const;
    // squeue --json: the jobs, by id.
    std::map<std::string, nlohmann::json> squeue() const;
    // Waits (up to 30 s) until squeue shows the job in one of the states.
    void wait_state(const std::string& id, const std::vector<std::string>& states) const;

  private:
    std::map<std::string, std::string> m_env;
    std::string m_dir;
};

// Another slurmrestd for the same cluster, serving only `plugins` (e.g. "openapi/v0.0.37"), on
// a free loopback port; stopped (by pid) with the object.
class ExtraRest {
  public:
    ExtraRest(const Slurm& slurm, const std::string& plugins);
    ~ExtraRest();
    ExtraRest(const ExtraRest&) = delete;
    ExtraRest& operator=(const ExtraRest&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  private:
    int m_pid = 0;
    int m_port = 0;
};

}  // namespace test
