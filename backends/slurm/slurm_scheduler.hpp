#pragma once

#include <memory>

#include "core/scheduler.hpp"

namespace backends::slurm {

// A Scheduler over slurmrestd (OpenAPI v0.0.38, JWT). Settings of the profile:
//   url               slurmrestd, e.g. "http://head:6820" (required)
//   user              X-SLURM-USER-NAME (default: $USER)
//   slurm_token_cmd   a command that prints a JWT; else the variable named by token_env
//   token_env         default "SLURM_JWT"
//   timeout           per request, default "30s"
std::unique_ptr<core::Scheduler> make_scheduler(const core::SchedulerContext& context);

}  // namespace backends::slurm
