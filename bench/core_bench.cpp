// Micro-benchmarks of the core's hot paths for `cluster list`: reading 1,000 clusters with
// their instances from the store, and deriving their statuses.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "bench/seed.hpp"
#include "core/store.hpp"

namespace {

std::filesystem::path seeded_db() {
    static const std::filesystem::path db = [] {
        auto p = std::filesystem::temp_directory_path() /
                 ("grid-core-bench-" + std::to_string(::getpid()) + ".db");
        bench::seed_store(p, 1000);
        return p;
    }();
    return db;
}

void store_open(benchmark::State& state) {
    const auto db = seeded_db();
    for (auto _ : state)
        benchmark::DoNotOptimize(core::Store::open(db));
}
BENCHMARK(store_open)->Unit(benchmark::kMicrosecond);

void list_1000_clusters(benchmark::State& state) {
    auto store = core::Store::open(seeded_db());
    for (auto _ : state) {
        auto clusters = store.list_summaries();
        int running = 0;
        for (const auto& c : clusters)
            running += c.status == core::State::Running;
        benchmark::DoNotOptimize(running);
    }
}
BENCHMARK(list_1000_clusters)->Unit(benchmark::kMicrosecond);

}  // namespace
