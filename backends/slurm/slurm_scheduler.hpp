#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/scheduler.hpp"

namespace backends::slurm {

// A Scheduler over slurmrestd (OpenAPI v0.0.38, JWT), or Slurm's commands, or both: the
// commands then answer when slurmrestd gives no reply, and change partitions. Settings:
//   url               slurmrestd, e.g. "http://head:6820"
//   user              X-SLURM-USER-NAME (default: $USER)
//   slurm_token_cmd   a command that prints a JWT; else the variable named by token_env
//   token_env         default "SLURM_JWT"
//   timeout           per request, default "30s"
//   cli               "local" (squeue, sbatch, ... on this machine) or a host for ssh
//   ssh_config        an ssh_config file for that host
// A cluster grid made (SchedulerContext::head_node_ssh) is reached with the commands over ssh.
std::unique_ptr<core::Scheduler> make_scheduler(const core::SchedulerContext& context);
inline const std::vector<std::string> k_settings = {
    "url", "user", "slurm_token_cmd", "token_env", "timeout", "cli", "ssh_config"};

}  // namespace backends::slurm
