// The Lambda provider against the fake API (tests/fakes/lambda), with the API's documented rate
// limits scaled down by the same factor so that a run takes seconds instead of minutes.
//
//   lambda_bench refresh [RUNS]                  list --refresh with 64 instances in the store
//   lambda_bench create  [NODES] [LAUNCH_MS] [RUNS]  an N-node create vs the launch-rate floor
//
// Needs root: the fake's instances run a real sshd on port 22 of their own loopback address.
// Prints a Markdown table for bench/README.md and whether each target holds.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/measure.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/fakes/lambda/fake_lambda.hpp"

namespace {

namespace fs = std::filesystem;
using namespace bench;
using namespace std::chrono_literals;

constexpr const char* k_key = "bench-key-0123456789";

// A private grid (state, config, ssh key) pointed at a fake account.
struct Setup {
    fs::path dir;
    fakes::FakeLambda fake;
    std::string grid = grid_binary();
    std::string pubkey;

    Setup(const fakes::FakeLambdaOptions& o, const std::string& profile_extra)
        : dir(o.state_dir.parent_path()), fake(o) {
        fake.start();
        for (const char* type : {"gpu_8x_h100_sxm5", "gpu_1x_a10"})
            fake.set_capacity(type, "us-east-1", 64);
        ::setenv("GRID_STATE_DIR", (dir / "state").c_str(), 1);
        ::setenv("GRID_CONFIG", (dir / "config.toml").c_str(), 1);
        ::setenv("GRID_BENCH_LAMBDA_KEY", k_key, 1);
        const char* user = std::getenv("USER");
        core::write_file(dir / "config.toml",
                         "[profiles.bench]\nprovider = \"lambda\"\napi_url = \"" + fake.url() +
                             "\"\napi_key_env = \"GRID_BENCH_LAMBDA_KEY\"\nssh_user = \"" +
                             (user && *user ? user : "root") + "\"\n" + profile_extra,
                         0600);
        const std::string key = (dir / "id_ed25519").string();
        core::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key});
        pubkey = key + ".pub";
    }

    ~Setup() {
        const auto ids = core::run({grid, "cluster", "list", "-q"}).out;
        std::vector<std::string> destroy{grid, "cluster", "destroy", "--yes"};
        for (std::size_t p = 0; p + 8 <= ids.size(); p += 9)
            destroy.push_back(ids.substr(p, 8));
        if (destroy.size() > 4) core::run(destroy);
    }

    std::vector<std::string> create(const std::vector<std::string>& args) const {
        std::vector<std::string> argv{grid, "cluster", "create"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--profile", "bench", "-i", pubkey, "-q"});
        return argv;
    }
};

fakes::FakeLambdaOptions options(const fs::path& dir) {
    fakes::FakeLambdaOptions o;
    o.api_key = k_key;
    o.state_dir = dir / "fake";
    fs::create_directories(o.state_dir);
    o.boot_delay = 100ms;
    o.terminate_delay = 100ms;
    return o;
}

fs::path fresh_dir() {
    const fs::path dir =
        fs::temp_directory_path() / ("grid-lambda-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

int bench_refresh(int rounds) {
    const fs::path dir = fresh_dir();
    int rc = 0;
    {
        Setup s(
            options(dir),
            "request_interval = \"1ms\"\nlaunch_interval = \"1ms\"\npoll_interval = \"100ms\"\n");
        // 16 clusters of a jumphost and 3 workers: 64 instances, all RUNNING.
        for (int n = 0; n < 16; ++n)
            if (const auto r = core::run(s.create({"8xH100", "-n", "3"})); r.exit_code != 0) {
                std::fprintf(stderr, "create failed: %s", r.err.c_str());
                return 1;
            }
        const int before = s.fake.requests("");
        const int lists_before = s.fake.requests("GET /api/v1/instances");
        std::vector<Case> cases = {
            {"grid cluster list --refresh (16 clusters, 64 instances)",
             [&] {
                 return time_once({s.grid, "cluster", "list", "--refresh"});
             },
             {}},
            {"grid cluster list (the same store, no provider)",
             [&] {
                 return time_once({s.grid, "cluster", "list"});
             },
             {}},
        };
        measure(cases, rounds);  // the plain list makes no request
        const double per_refresh = double(s.fake.requests("") - before) / (rounds + 1);
        const int lists = s.fake.requests("GET /api/v1/instances") - lists_before;
        std::printf("### list --refresh of 64 Lambda instances, %d runs\n\n", rounds);
        print_table(cases);
        std::printf("\n- HTTP requests per refresh: %.2f (all of them GET /api/v1/instances: %s)\n",
                    per_refresh, lists == rounds + 1 ? "yes" : "no");
        rc = check("a 64-instance refresh is one HTTP request", per_refresh == 1.0) ? 0 : 2;
    }
    fs::remove_all(dir);
    return rc;
}

int bench_create(int nodes, int launch_ms, int rounds) {
    const fs::path dir = fresh_dir();
    // Lambda documents 1 launch per 12 s and 1 request per second for the rest; the poll
    // interval (5 s) is scaled with them.
    const double scale = launch_ms / 12000.0;
    const auto ms = [&](double real_ms) { return std::to_string(int(real_ms * scale)) + "ms"; };
    auto o = options(dir);
    o.launch_interval = std::chrono::milliseconds(launch_ms);  // the fake answers 429 if faster
    o.request_interval = std::chrono::milliseconds(int(1000 * scale));
    int rc = 0;
    {
        Setup s(o, "launch_interval = \"" + std::to_string(launch_ms) +
                       "ms\"\nrequest_interval = \"" + ms(1000) + "\"\npoll_interval = \"" +
                       ms(5000) + "\"\n");
        const std::string n = std::to_string(nodes);
        std::vector<Case> cases = {
            {"grid cluster create 8xH100 -n " + n + " (launch every " + std::to_string(launch_ms) +
                 " ms)",
             [&] {
                 const double t = time_once(s.create({"8xH100", "-n", n}));
                 const auto ids = core::run({s.grid, "cluster", "list", "-q"}).out;
                 core::run({s.grid, "cluster", "destroy", "--yes", ids.substr(0, 8)});
                 // The next create starts with a launch allowed at once, as a first one does.
                 std::this_thread::sleep_for(std::chrono::milliseconds(launch_ms));
                 return t;
             },
             {}},
        };
        measure(cases, rounds);
        std::printf("### %s-node Lambda create, %d runs\n\n", n.c_str(), rounds);
        print_table(cases);
        // N workers and a jumphost: N + 1 launches, the first at once.
        const double floor = double(nodes) * launch_ms;
        const double median = stats(cases[0].samples).median;
        std::printf("\n- floor: %d launches, one per %d ms = %.0f ms; median / floor = %.3f\n",
                    nodes + 1, launch_ms, floor, median / floor);
        for (const auto& [name, count] : s.fake.launches_by_name())
            if (count > 1) std::printf("- duplicate launch: %s\n", name.c_str());
        rc = check("create <= 1.1 x the launch-rate floor", median <= 1.1 * floor) ? 0 : 2;
    }
    fs::remove_all(dir);
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::fprintf(stderr, "lambda_bench: needs root (the fake's nodes listen on port 22)\n");
        return 77;
    }
    const std::string what = argc > 1 ? argv[1] : "";
    auto arg = [&](int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; };
    if (what == "refresh") return bench_refresh(arg(2, 20));
    if (what == "create") return bench_create(arg(2, 8), arg(3, 1000), arg(4, 3));
    std::fprintf(stderr,
                 "usage: lambda_bench refresh [RUNS] | create [NODES] [LAUNCH_MS] [RUNS]\n");
    return 1;
}
