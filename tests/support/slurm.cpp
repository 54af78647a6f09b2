#include "tests/support/slurm.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace test {

namespace {

const std::filesystem::path k_state = std::filesystem::path(GRID_BUILD_DIR) / "tests" / "slurm";

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

}  // namespace

Slurm::Slurm() {
    if (const auto why = core::read_file(k_state / "unavailable")) skip("Slurm: " + trim(*why));
    const auto dir = core::read_file(k_state / "cluster");
    if (!dir)
        FAIL("no Slurm cluster: the ctest fixture slurm_up did not run (" + k_state.string() +
             "); run the tests through ctest");
    m_dir = trim(*dir);
    const auto env = core::read_file(std::filesystem::path(m_dir) / "env.sh");
    REQUIRE(env);
    std::size_t at = 0;
    while (at < env->size()) {
        auto nl = env->find('\n', at);
        if (nl == std::string::npos) nl = env->size();
        std::string line = env->substr(at, nl - at);
        at = nl + 1;
        if (line.rfind("export ", 0) != 0) continue;
        line = line.substr(7);
        const auto eq = line.find('=');
        if (eq != std::string::npos) m_env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    REQUIRE(m_env.count("SLURMRESTD_URL"));
    REQUIRE(m_env.count("SLURMRESTD_TOKEN"));
    REQUIRE(m_env.count("SLURM_CONF"));
}

std::string Slurm::run(const std::vector<std::string>& argv) const {
    core::RunOptions o;
    o.env = {"SLURM_CONF=" + conf()};
    o.timeout = std::chrono::seconds(60);
    const auto r = core::run(argv, o);
    INFO(argv.front() << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

std::string Slurm::submit(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"sbatch", "--parsable", "-o", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    return trim(run(argv));
}

std::map<std::string, nlohmann::json> Slurm::squeue() const {
    const auto doc = nlohmann::json::parse(run({"squeue", "--json"}));
    std::map<std::string, nlohmann::json> out;
    for (const auto& j : doc.at("jobs"))
        out[std::to_string(j.at("job_id").get<long long>())] = j;
    return out;
}

void Slurm::wait_state(const std::string& id, const std::vector<std::string>& states) const {
    std::string last;
    for (int i = 0; i < 150; ++i) {
        const auto jobs = squeue();
        if (const auto it = jobs.find(id); it != jobs.end()) {
            last = it->second.at("job_state").get<std::string>();
            for (const auto& s : states)
                if (last == s) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    FAIL("job " + id + " is still " + last);
}

ExtraRest::ExtraRest(const Slurm& slurm, const std::string& plugins) {
    // As the cluster's own: started as root, it drops to an unprivileged user (-u) once its
    // socket is open, and takes JWTs.
    const std::string user = core::run({"id", "-u", "slurm"}).exit_code == 0 ? "slurm" : "nobody";
    for (int attempt = 0; attempt < 3 && m_pid == 0; ++attempt) {
        m_port = free_loopback_port();
        const pid_t pid = core::spawn_detached(
            {"slurmrestd", "-f", slurm.conf(), "-u", user, "-a", "rest_auth/jwt", "-s", plugins,
             "127.0.0.1:" + std::to_string(m_port)},
            {"SLURM_JWT=daemon", "SLURM_CONF=" + slurm.conf()},
            std::filesystem::path(slurm.dir()) / "log" / ("extra-rest-" + std::to_string(m_port)));
        for (int i = 0; i < 100 && core::process_alive(pid); ++i) {
            if (accepts(m_port)) {
                m_pid = pid;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (m_pid == 0) core::stop_process(pid, std::chrono::seconds(2));
    }
    REQUIRE(m_pid != 0);
}

ExtraRest::~ExtraRest() {
    if (m_pid > 0) core::stop_process(m_pid, std::chrono::seconds(5));
}

}  // namespace test
