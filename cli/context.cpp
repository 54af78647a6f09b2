#include "cli/context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/output/progress.hpp"
#include "cli/output/style.hpp"
#include "core/config_check.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "core/registry.hpp"
#include "core/ssh.hpp"

namespace cli {

Context::Context() = default;
Context::~Context() = default;

bool Context::color_stdout() const {
    return color_enabled(STDOUT_FILENO, global.no_color);
}
bool Context::color_stderr() const {
    return color_enabled(STDERR_FILENO, global.no_color);
}

const core::Paths& Context::paths() {
    if (!m_paths) {
        m_paths = core::resolve_paths(
            global.config.empty() ? std::nullopt : std::optional<std::string>(global.config));
    }
    return *m_paths;
}

const core::Config& Context::config() {
    if (!m_config) {
        const auto& p = paths();
        if (!global.config.empty() && !std::filesystem::exists(p.config_file))
            throw core::Error(core::ErrorKind::Usage,
                              "config file " + p.config_file.string() + " does not exist");
        m_config = core::Config::load(p.config_file);
    }
    return *m_config;
}

void Context::check_config() {
    for (const auto& warning : core::unknown_config_keys(config()))
        observer().on_warning(warning);
}

core::Store& Context::store() {
    if (!m_store) {
        core::ensure_dir(paths().state_dir, 0700);
        m_store = core::Store::open(paths().db());
    }
    return *m_store;
}

ProgressObserver& Context::observer() {
    if (!m_observer) m_observer = std::make_unique<ProgressObserver>(*this);
    return *m_observer;
}

core::Engine& Context::engine() {
    if (!m_engine) {
        m_engine = std::make_unique<core::Engine>(store(), config(), paths(), observer());
        const auto self = core::self_executable();
        if (!self.empty()) m_engine->set_watchdog_command({self.string(), "__watchdog"});
    }
    return *m_engine;
}

core::Scheduler& Context::scheduler() {
    if (m_scheduler) return *m_scheduler;
    if (!global.cluster.empty()) {
        m_scheduler = cluster_scheduler();
        return *m_scheduler;
    }
    const std::string source = config().source();
    if (global.profile.empty())
        throw core::Error(core::ErrorKind::Usage, "which Slurm cluster? no --profile given",
                          "pass --profile P, P being a profile with scheduler = \"slurm\" and "
                          "url = \"http://HOST:6820\" in " +
                              source);
    const auto p = config().profile(global.profile);
    if (!p)
        throw core::Error(core::ErrorKind::Usage, "unknown profile '" + global.profile + "'",
                          "define it under [profiles." + global.profile + "] in " + source);
    const std::string name = p->settings.string("scheduler").value_or("");
    if (name.empty())
        throw core::Error(core::ErrorKind::Usage,
                          "profile '" + global.profile + "' has no scheduler",
                          "add scheduler = \"slurm\" and url = \"http://HOST:6820\" to "
                          "[profiles." +
                              global.profile + "]");
    core::SchedulerContext sc;
    sc.name = name;
    sc.settings = p->settings;
    sc.state_dir = paths().state_dir / name;
    sc.patience = scheduler_patience;
    if (observer().tracing())
        sc.trace = [this](const std::string& line) { observer().on_trace(line); };
    m_scheduler = core::make_scheduler(sc);
    return *m_scheduler;
}

std::unique_ptr<core::Scheduler> Context::cluster_scheduler() {
    if (!global.profile.empty())
        throw core::Error(core::ErrorKind::Usage, "--cluster and --profile both name a queue",
                          "pass one of them");
    const core::Cluster cluster = engine().load(engine().resolve_cluster(global.cluster));
    if (!cluster.multi_node())
        throw core::Error(core::ErrorKind::Usage,
                          "cluster " + cluster.id + " is a single node: it runs no Slurm",
                          "Slurm runs in multi-node clusters: grid cluster create TYPE -n 2");
    if (cluster.status() != core::State::Running)
        throw core::Error(
            core::ErrorKind::InvalidState,
            "cluster " + cluster.id + " is " + core::to_string(cluster.status()) + ", not RUNNING",
            "see: grid cluster info " + cluster.id);
    const core::Instance& head = cluster.instances.front();  // the jumphost
    const core::SshFiles files = core::ssh_files(paths(), cluster.id);
    core::write_ssh_files(cluster, files);
    core::SchedulerContext sc;
    sc.name = "slurm";
    sc.state_dir = paths().state_dir / sc.name;
    sc.head_node_ssh = core::ssh_argv(files, head.id, true, {});
    sc.head_node_name = head.id;
    sc.patience = scheduler_patience;
    if (observer().tracing())
        sc.trace = [this](const std::string& line) { observer().on_trace(line); };
    return core::make_scheduler(sc);
}

void Context::close() {
    m_engine.reset();
    m_store.reset();
}

bool Context::confirm(const std::string& question, const std::string& flag_hint) {
    if (global.yes) return true;
    if (!::isatty(STDIN_FILENO))
        throw core::Error(
            core::ErrorKind::Usage,
            "refusing to " + question + " without confirmation: stdin is not a terminal",
            flag_hint);
    std::cerr << question << "? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace cli
