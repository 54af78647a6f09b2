#pragma once

// Real Slurm inside a local multi-node cluster, as a cloud image with Slurm has it: munged and
// slurmctld on the jumphost, one slurmd per worker (several slurmd on one machine, each under
// its node's name and address), the workers' emulated GPUs as gres.

#include <filesystem>
#include <string>
#include <vector>

#include "backends/local/sandbox.hpp"

namespace backends::local {

// Why local clusters cannot run Slurm on this machine, naming what to install; "" if they can.
// `dirs`: where the programs are looked for (/usr/sbin, /usr/bin, ...).
std::string slurm_missing();
std::string slurm_missing(const std::vector<std::string>& dirs);

// SLURM_CONF of the cluster whose jumphost's sandbox is `head_dir`.
std::filesystem::path slurm_conf_of(const std::filesystem::path& head_dir);

// Writes the configuration under the jumphost's sandbox and starts the daemons, each marked
// as its node's (so that destroying the node stops it). Returns once every worker is idle in
// Slurm; throws core::Error (Provider) with the reason when that does not happen in time.
void start_cluster_slurm(const std::filesystem::path& instances_dir, const SandboxRecord& head,
                         const std::vector<SandboxRecord>& workers);

// Removes what the cluster's Slurm kept outside its sandboxes, once they are gone.
void remove_cluster_slurm(const std::string& cluster);

}  // namespace backends::local
