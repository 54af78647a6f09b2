// grid queue list against a real Slurm holding many pending jobs, beside the raw REST fetch of
// the same jobs (curl) and Slurm's own squeue --json, interleaved.
//
//   queue_bench [JOBS] [RUNS]    default 5000 jobs, 10 runs
//
// Starts a cluster with tests/slurm/slurm.sh (root, and the Slurm packages; exit 77 when they
// are missing), submits JOBS jobs that stay pending, measures, then stops the cluster.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "core/files.hpp"
#include "core/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bench;

std::map<std::string, std::string> read_env(const fs::path& file) {
    std::map<std::string, std::string> env;
    const auto text = core::read_file(file).value_or("");
    std::size_t at = 0;
    while (at < text.size()) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(at, nl - at);
        at = nl + 1;
        if (line.rfind("export ", 0) != 0) continue;
        const auto eq = line.find('=');
        env[line.substr(7, eq - 7)] = line.substr(eq + 1);
    }
    return env;
}

}  // namespace

int main(int argc, char** argv) {
    const int jobs = argc > 1 ? std::atoi(argv[1]) : 5000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 10;
    const std::string script = std::string(GRID_SOURCE_DIR) + "/tests/slurm/slurm.sh";
    char dir_template[] = "/tmp/grid-queue-bench-XXXXXX";
    const fs::path dir = ::mkdtemp(dir_template);
    const auto up = core::run({"bash", script, "up", dir.string(), "2"});
    if (up.exit_code != 0) {
        std::fprintf(stderr, "queue_bench: no Slurm here: %s", up.err.c_str());
        fs::remove_all(dir);
        return up.exit_code == 77 ? 77 : 1;
    }
    auto env = read_env(dir / "env.sh");
    ::setenv("SLURM_CONF", env["SLURM_CONF"].c_str(), 1);
    ::setenv("GRID_BENCH_SLURM_TOKEN", env["SLURMRESTD_TOKEN"].c_str(), 1);
    const fs::path state = dir / "grid";
    fs::create_directories(state);
    ::setenv("GRID_STATE_DIR", state.c_str(), 1);
    ::setenv("GRID_CONFIG", (state / "config.toml").c_str(), 1);
    core::write_file(state / "config.toml",
                     "[profiles.hpc]\nscheduler = \"slurm\"\nurl = \"" + env["SLURMRESTD_URL"] +
                         "\"\nuser = \"root\"\ntoken_env = \"GRID_BENCH_SLURM_TOKEN\"\n",
                     0600);

    // Pending until their begin time: the queue does not change while it is measured.
    std::fprintf(stderr, "queue_bench: submitting %d jobs\n", jobs);
    core::run({"bash", "-c",
               "for i in $(seq " + std::to_string(jobs) +
                   "); do sbatch -Q -o /dev/null --begin now+6hours -J bench$i --wrap true || "
                   "exit 1; done"});

    const std::string grid = grid_binary();
    const std::string jobs_url = env["SLURMRESTD_URL"] + "/slurm/v0.0.38/jobs";
    long rss_list = 0, rss_json = 0, rss_warm = 0, rss_curl = 0, rss_squeue = 0;
    const fs::path cache = state / "slurm" / "cache";
    auto cold = [&](std::vector<std::string> args, long* rss) {
        std::error_code ec;
        fs::remove_all(cache, ec);  // untimed: the cold case has no list kept from before
        args.insert(args.begin(), {grid, "queue", "list", "--profile", "hpc"});
        return time_once(args, rss);
    };
    std::vector<Case> cases = {
        {"grid queue list (cold)", [&] { return cold({}, &rss_list); }, {}},
        {"grid queue list -o json (cold)",
         [&] {
             return cold({"-o", "json"}, &rss_json);
         },
         {}},
        {"grid queue list (warm: queue unchanged, 304 and the cache)",
         [&] {
             return time_once({grid, "queue", "list", "--profile", "hpc"}, &rss_warm);
         },
         {}},
        {"curl GET /slurm/v0.0.38/jobs (the raw fetch)",
         [&] {
             return time_once({"curl", "-sf", "-o", "/dev/null", "-H", "X-SLURM-USER-NAME: root",
                               "-H", "X-SLURM-USER-TOKEN: " + env["SLURMRESTD_TOKEN"], jobs_url},
                              &rss_curl);
         },
         {}},
        {"squeue --json",
         [&] {
             return time_once({"squeue", "--json"}, &rss_squeue);
         },
         {}},
    };
    measure(cases, rounds);
    std::printf("### queue list with %d pending jobs, %d runs each, interleaved\n\n", jobs, rounds);
    print_table(cases);
    std::printf("\n| command | peak RSS MB |\n|---|---:|\n");
    const long rss[] = {rss_list, rss_json, rss_warm, rss_curl, rss_squeue};
    for (std::size_t k = 0; k < cases.size(); ++k)
        std::printf("| `%s` | %.1f |\n", cases[k].name.c_str(), rss[k] / 1024.0);
    const double list = stats(cases[0].samples).median, raw = stats(cases[3].samples).median;
    const double warm = stats(cases[2].samples).median;
    std::printf("\n- grid queue list / raw fetch = %.2f\n", list / raw);
    bool ok = check("cold list <= 1.1 x the raw REST fetch", list <= 1.1 * raw);
    ok &= check("warm list <= 50 ms", warm <= 50);
    ok &= check("peak RSS <= 64 MB", std::max({rss_list, rss_json, rss_warm}) <= 64 * 1024);
    core::run({"bash", script, "down", dir.string()});
    return ok ? 0 : 2;
}
