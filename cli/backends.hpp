#pragma once

namespace cli {

// Puts every backend of this build in the core's registry, by name.
void register_backends();

}  // namespace cli
