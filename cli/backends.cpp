#include "cli/backends.hpp"

#include "backends/local/local_provider.hpp"
#include "core/registry.hpp"

namespace cli {

void register_backends() {
    core::register_provider("local", backends::local::make_provider);
}

}  // namespace cli
