#include "bench/measure.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

extern char** environ;

namespace bench {

using Clock = std::chrono::steady_clock;

double time_once(const std::vector<std::string>& argv, long* max_rss_kb) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const auto start = Clock::now();
    pid_t pid;
    if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) {
        std::fprintf(stderr, "cannot run %s\n", args[0]);
        std::exit(1);
    }
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    if (max_rss_kb) *max_rss_kb = std::max(*max_rss_kb, usage.ru_maxrss);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "%s exited with %d\n", argv[0].c_str(), WEXITSTATUS(status));
        std::exit(1);
    }
    return ms;
}

Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 9 / 10)], v.front()};
}

void measure(std::vector<Case>& cases, int rounds, bool shuffled) {
    for (auto& c : cases)
        c.run();
    std::vector<std::size_t> order(cases.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 random(20261123);
    for (int r = 0; r < rounds; ++r) {
        if (shuffled) std::shuffle(order.begin(), order.end(), random);
        for (const std::size_t k : order)
            cases[k].samples.push_back(cases[k].run());
    }
}

void print_table(const std::vector<Case>& cases) {
    std::printf("| command | median ms | p90 ms | min ms |\n|---|---:|---:|---:|\n");
    for (const auto& c : cases) {
        const Stats s = stats(c.samples);
        std::printf("| `%s` | %.2f | %.2f | %.2f |\n", c.name.c_str(), s.median, s.p90, s.min);
    }
}

bool check(const char* what, bool ok) {
    std::printf("- %s: %s\n", what, ok ? "holds" : "MISSED");
    return ok;
}

std::string grid_binary() {
    const char* override_path = std::getenv("GRID");
    return override_path ? override_path : GRID_BINARY;
}

}  // namespace bench
