#include "cli/backends.hpp"

#include "backends/lambda/lambda_provider.hpp"
#include "backends/local/local_provider.hpp"
#include "backends/slurm/slurm_scheduler.hpp"
#include "core/registry.hpp"

namespace cli {

void register_backends() {
    core::register_provider("local", backends::local::make_provider, backends::local::k_settings);
    core::register_provider("lambda", backends::lambda::make_provider,
                            backends::lambda::k_settings);
    core::register_scheduler("slurm", backends::slurm::make_scheduler, backends::slurm::k_settings);
}

}  // namespace cli
