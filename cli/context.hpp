#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/engine.hpp"
#include "core/scheduler.hpp"
#include "core/store.hpp"

namespace cli {

class ProgressObserver;

struct GlobalOptions {
    std::string profile;
    std::string config;
    std::string output = "table";
    bool json = false;
    bool quiet = false;
    int verbose = 0;
    bool no_color = false;
    bool yes = false;
    std::string cluster;  // queue commands: a cluster grid made, instead of a profile
};

// What every command shares: the global options, and the store, config and engine, each
// opened on first use so that a command only pays for what it touches.
class Context {
  public:
    Context();
    ~Context();

    GlobalOptions global;
    std::function<void()> run;  // set by the command the parser selected
    std::string argv0;
    // Set when a shell waits on the answer (completion): the queue is asked once, briefly.
    std::optional<std::chrono::milliseconds> scheduler_patience;

    bool json() const { return global.json || global.output == "json"; }
    bool quiet() const { return global.quiet; }
    bool color_stdout() const;
    bool color_stderr() const;

    const core::Paths& paths();
    const core::Config& config();
    // Loads the config file (its errors are the caller's) and warns about keys nothing reads.
    void check_config();
    core::Store& store();
    core::Engine& engine();
    ProgressObserver& observer();
    // The queue of the --profile given (a profile with scheduler = "slurm"), or of the
    // --cluster given (a multi-node cluster grid made, reached over ssh on its jumphost).
    core::Scheduler& scheduler();

    // On a terminal: asks and returns the answer. Off a terminal: requires --yes.
    bool confirm(const std::string& question, const std::string& flag_hint);

    // Closes the store (and what uses it) before the process ends.
    void close();

  private:
    std::unique_ptr<core::Scheduler> cluster_scheduler();

    std::optional<core::Paths> m_paths;
    std::optional<core::Config> m_config;
    std::optional<core::Store> m_store;
    std::unique_ptr<ProgressObserver> m_observer;
    std::unique_ptr<core::Engine> m_engine;
    std::unique_ptr<core::Scheduler> m_scheduler;
};

}  // namespace cli
