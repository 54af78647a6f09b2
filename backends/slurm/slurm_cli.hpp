#pragma once

// The queue through Slurm's own commands (squeue and sinfo with --json, scontrol, sbatch,
// scancel), run on this machine or on a login node over ssh: for clusters without slurmrestd,
// for when it is down, and for partitions, which slurmrestd cannot change.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/scheduler.hpp"

namespace backends::slurm {

// Where the commands run.
struct CommandHost {
    std::vector<std::string> ssh;  // ssh's argv up to and including the host; empty: here
    std::string name;              // for messages: "this machine", "login1"
    std::string settings_hint;     // where the user changes it: "cli in [profiles.hpc]"
    std::chrono::milliseconds timeout{120'000};  // one command, ssh included
    std::string no_slurm_hint;                   // for a host whose commands find no slurm.conf
};

std::unique_ptr<core::Scheduler> make_cli_scheduler(CommandHost host,
                                                    std::function<void(const std::string&)> trace);

// One line of `scontrol show partition --oneliner`: Key=Value pairs. A value runs to the next
// " Key=", so values with spaces (none in practice) do not split.
std::map<std::string, std::string> parse_scontrol_line(const std::string& line);
core::Partition partition_from_scontrol(const std::map<std::string, std::string>& fields);
// Slurm's [days-]hours:minutes:seconds (or minutes, or minutes:seconds); none for UNLIMITED,
// INFINITE and NONE.
std::optional<std::int64_t> parse_slurm_time(const std::string& text);

}  // namespace backends::slurm
