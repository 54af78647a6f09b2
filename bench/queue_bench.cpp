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
#include <ctime>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "backends/slurm/job_cache.hpp"
#include "bench/measure.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/text.hpp"

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

// CPU time (clock ticks) a process has used so far; 0 when it is gone.
long cpu_ticks(const std::string& pid) {
    const auto stat = core::read_file("/proc/" + pid + "/stat").value_or("");
    const auto close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string skip;
    long utime = 0, stime = 0;
    for (int k = 0; k < 11; ++k)
        fields >> skip;  // state .. cmajflt
    fields >> utime >> stime;
    return utime + stime;
}

// Waits (at most 10 s) until slurmctld and slurmrestd have used no CPU for 300 ms. slurmrestd
// frees a reply of megabytes after sending it, and squeue --json keeps slurmctld busy: a
// command started meanwhile would be slowed by the one before it, not by its own work.
void settle(const fs::path& dir) {
    std::vector<std::string> pids;
    for (const char* name : {"slurmctld", "slurmrestd"})
        pids.push_back(
            core::trim(core::read_file(dir / "run" / (std::string(name) + ".pid")).value_or("")));
    auto total = [&] {
        long t = 0;
        for (const auto& p : pids)
            t += cpu_ticks(p);
        return t;
    };
    long before = total();
    int quiet = 0;
    for (int k = 0; k < 100 && quiet < 3; ++k) {
        ::usleep(100'000);
        const long now = total();
        quiet = now == before ? quiet + 1 : 0;
        before = now;
    }
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
    // A measured command that fails ends the benchmark through exit(): the cluster goes too.
    static fs::path cluster_dir;
    cluster_dir = dir;
    std::atexit([] {
        core::run({"bash", std::string(GRID_SOURCE_DIR) + "/tests/slurm/slurm.sh", "down",
                   cluster_dir.string()});
        std::error_code ec;
        fs::remove_all(cluster_dir, ec);
    });
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
    long rss_list = 0, rss_json = 0, rss_warm = 0, rss_curl = 0, rss_squeue = 0, rss_304 = 0;
    const fs::path cache = state / "slurm" / "cache";
    // The question a warm list asks: the time of the list grid kept last.
    auto unchanged_url = [&] {
        for (const auto& e : fs::directory_iterator(cache))
            if (const auto t =
                    backends::slurm::read_job_cache_time(e.path(), env["SLURMRESTD_URL"] + " root"))
                return jobs_url + "?update_time=" + std::to_string(*t);
        return jobs_url;
    };
    auto cold = [&](std::vector<std::string> args, long* rss) {
        std::error_code ec;
        fs::remove_all(cache, ec);  // untimed: the cold case has no list kept from before
        settle(dir);
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
             settle(dir);
             return time_once({grid, "queue", "list", "--profile", "hpc"}, &rss_warm);
         },
         {}},
        {"curl GET /slurm/v0.0.38/jobs (the raw fetch)",
         [&] {
             settle(dir);
             return time_once({"curl", "-sf", "-o", "/dev/null", "-H", "X-SLURM-USER-NAME: root",
                               "-H", "X-SLURM-USER-TOKEN: " + env["SLURMRESTD_TOKEN"], jobs_url},
                              &rss_curl);
         },
         {}},
        {"squeue --json",
         [&] {
             settle(dir);
             return time_once({"squeue", "--json"}, &rss_squeue);
         },
         {}},
        {"curl GET /slurm/v0.0.38/jobs?update_time=T (the raw 304 of the warm list)",
         [&] {
             settle(dir);
             return time_once(
                 {"curl", "-sf", "-o", "/dev/null", "-H", "X-SLURM-USER-NAME: root", "-H",
                  "X-SLURM-USER-TOKEN: " + env["SLURMRESTD_TOKEN"], unchanged_url()},
                 &rss_304);
         },
         {}},
    };
    measure(cases, rounds, true);
    // Looking again and again at an unchanged queue (what --watch and a shell loop do), with no
    // 15 MB reply in between: right after one, slurmrestd takes tens of ms even for a 304.
    std::vector<Case> looks = {
        {"grid queue list (warm, looks in a row)",
         [&] {
             settle(dir);
             return time_once({grid, "queue", "list", "--profile", "hpc"});
         },
         {}},
        {"curl GET /slurm/v0.0.38/jobs?update_time=T (its raw 304, in a row)",
         [&] {
             settle(dir);
             return time_once({"curl", "-sf", "-o", "/dev/null", "-H", "X-SLURM-USER-NAME: root",
                               "-H", "X-SLURM-USER-TOKEN: " + env["SLURMRESTD_TOKEN"],
                               unchanged_url()});
         },
         {}}};
    measure(looks, rounds, false);
    std::printf(
        "### queue list with %d pending jobs, %d runs each, interleaved in random order\n\n", jobs,
        rounds);
    print_table(cases);
    std::printf("\nThen, with no full fetch in between:\n\n");
    print_table(looks);
    std::printf("\n| command | peak RSS MB |\n|---|---:|\n");
    const long rss[] = {rss_list, rss_json, rss_warm, rss_curl, rss_squeue, rss_304};
    for (std::size_t k = 0; k < cases.size(); ++k)
        std::printf("| `%s` | %.1f |\n", cases[k].name.c_str(), rss[k] / 1024.0);
    // slurmrestd's time for the same reply drifts over minutes (0.6 s to 1 s here) and now and
    // then doubles: a cold list is compared with the fetch of its own round.
    std::vector<double> ratios;
    for (int r = 0; r < rounds; ++r)
        ratios.push_back(cases[0].samples[r] / cases[3].samples[r]);
    const double ratio = stats(ratios).median;
    const double warm = stats(looks[0].samples).median;

    std::printf("\n- grid queue list / raw fetch of the same round: median %.2f, min %.2f\n", ratio,
                stats(ratios).min);
    // The warm list's own share: its time less the 304 of its round.
    std::vector<double> own;
    for (int r = 0; r < rounds; ++r)
        own.push_back(cases[2].samples[r] - cases[5].samples[r]);
    std::printf("- warm list less the raw 304 of the same round: median %.1f ms\n",
                stats(own).median);
    bool ok = check("cold list <= 1.1 x the raw REST fetch", ratio <= 1.1);
    ok &= check("warm list (looks in a row) <= 50 ms", warm <= 50);
    ok &= check("peak RSS <= 64 MB", std::max({rss_list, rss_json, rss_warm}) <= 64 * 1024);
    return ok ? 0 : 2;
}
