// Whole-process timings of the grid binary, each compared with a reference measured in the
// same run (interleaved, so that a noisy shared machine affects both alike).
//
//   grid_bench list   [RUNS]  cluster list with 1,000 clusters vs python3 -c pass, --help
//   grid_bench create [RUNS]  1-node vs 8-node local create
//
// Prints a Markdown table for bench/README.md and whether each target holds.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "bench/seed.hpp"
#include "core/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bench;

int bench_list(int rounds) {
    const fs::path dir = fs::temp_directory_path() / ("grid-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    ::setenv("GRID_STATE_DIR", dir.c_str(), 1);
    ::setenv("GRID_CONFIG", (dir / "config.toml").c_str(), 1);
    bench::seed_store(dir / "grid.db", 1000);
    const std::string grid = grid_binary();
    const std::string python = "/usr/bin/python3";
    const bool have_python = ::access(python.c_str(), X_OK) == 0;

    std::vector<Case> cases = {
        {"grid cluster list (1,000 clusters)",
         [&] {
             return time_once({grid, "cluster", "list"});
         },
         {}},
        {"grid cluster list -o json (1,000 clusters)",
         [&] {
             return time_once({grid, "cluster", "list", "-o", "json"});
         },
         {}},
        {"grid --help",
         [&] {
             return time_once({grid, "--help"});
         },
         {}},
    };
    if (have_python)
        cases.push_back({"/usr/bin/python3 -c pass",
                         [&] {
                             return time_once({python, "-c", "pass"});
                         },
                         {}});
    measure(cases, rounds);
    std::printf("### cluster list, %d runs each, interleaved\n\n", rounds);
    print_table(cases);
    const double list = stats(cases[0].samples).median;
    std::printf("\n");
    bool ok = check("list median <= 5 ms", list <= 5.0);
    if (have_python) {
        const double py = stats(cases.back().samples).median;
        std::printf("- list / python3 startup = %.3f\n", list / py);
        ok &= check("list <= 0.25 x python3 -c pass", list <= 0.25 * py);
    } else {
        std::printf(
            "- python3 comparison skipped: /usr/bin/python3 is missing (apt-get install "
            "python3)\n");
    }
    fs::remove_all(dir);
    return ok ? 0 : 2;
}

int bench_create(int rounds) {
    const fs::path dir = fs::temp_directory_path() / ("grid-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    ::setenv("GRID_STATE_DIR", (dir / "state").c_str(), 1);
    ::setenv("GRID_CONFIG", (dir / "config.toml").c_str(), 1);
    const std::string key = (dir / "id_ed25519").string();
    core::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key});
    const std::string grid = grid_binary();

    // Each run creates, is timed, then destroys (untimed) so that capacity never runs out.
    auto create = [&](std::vector<std::string> args) {
        return [&, args] {
            std::vector<std::string> argv{grid, "cluster", "create"};
            argv.insert(argv.end(), args.begin(), args.end());
            argv.insert(argv.end(), {"-i", key + ".pub", "-q"});
            const double ms = time_once(argv);
            const auto ids = core::run({grid, "cluster", "list", "-q", "--status", "RUNNING"}).out;
            std::vector<std::string> destroy{grid, "cluster", "destroy", "--yes"};
            for (std::size_t p = 0; p < ids.size(); p += 9)
                destroy.push_back(ids.substr(p, 8));
            if (destroy.size() > 4) core::run(destroy);
            return ms;
        };
    };
    std::vector<Case> cases = {
        {"grid cluster create 1xH100", create({"1xH100"}), {}},
        {"grid cluster create 8xH100 -n 8", create({"8xH100", "-n", "8"}), {}},
    };
    measure(cases, rounds);
    std::printf("### local create, %d runs each, interleaved\n\n", rounds);
    print_table(cases);
    const double one = stats(cases[0].samples).median, eight = stats(cases[1].samples).median;
    std::printf("\n- 8-node / 1-node = %.2f\n", eight / one);
    bool ok = check("1-node create <= 1 s", one <= 1000);
    ok &= check("8-node create <= 2 x 1-node create", eight <= 2 * one);
    fs::remove_all(dir);
    return ok ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "all";
    const int runs = argc > 2 ? std::atoi(argv[2]) : 0;
    int rc = 0;
    if (what == "list" || what == "all") rc |= bench_list(runs > 0 ? runs : 200);
    if (what == "all") std::printf("\n");
    if (what == "create" || what == "all") rc |= bench_create(runs > 0 ? runs : 11);
    if (what != "list" && what != "create" && what != "all") {
        std::fprintf(stderr, "usage: grid_bench [list|create|all] [RUNS]\n");
        return 1;
    }
    return rc;
}
