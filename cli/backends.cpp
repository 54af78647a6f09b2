#include "cli/backends.hpp"

#include "backends/lambda/lambda_provider.hpp"
#include "backends/local/local_provider.hpp"
#include "core/registry.hpp"

namespace cli {

void register_backends() {
    core::register_provider("local", backends::local::make_provider);
    core::register_provider("lambda", backends::lambda::make_provider);
}

}  // namespace cli
