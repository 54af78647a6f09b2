#pragma once

// Whole-process timing for the benchmarks: runs interleaved, so that a noisy shared machine
// slows every command of a comparison alike.

#include <functional>
#include <string>
#include <vector>

namespace bench {

// One run of argv with stdout and stderr discarded; wall time in milliseconds. Exits the
// benchmark if the command fails. `max_rss_kb`, when given, is raised to the run's peak RSS.
double time_once(const std::vector<std::string>& argv, long* max_rss_kb = nullptr);

struct Stats {
    double median = 0, p90 = 0, min = 0;
};
Stats stats(std::vector<double> samples);

struct Case {
    std::string name;
    std::function<double()> run;  // one timed run
    std::vector<double> samples;
};

// Runs every case once per round, rounds times, after one warm-up round. `shuffled`: each round
// in its own random order (fixed seed), so that no case always follows the same one; a case's
// samples stay in round order, so samples[r] of two cases were taken close together.
void measure(std::vector<Case>& cases, int rounds, bool shuffled = false);
// A Markdown table of the cases, for bench/README.md.
void print_table(const std::vector<Case>& cases);
// Prints whether a target holds; returns ok.
bool check(const char* what, bool ok);
// The grid binary measured: $GRID, or the one built beside the benchmark.
std::string grid_binary();

}  // namespace bench
