#pragma once

// What in a config file grid does not know: a misspelt key is otherwise silently ignored.

#include <string>
#include <vector>

#include "core/config.hpp"

namespace core {

// One line per key that nothing reads, naming it in full and the known key nearest to it:
// "unknown key profiles.lab.regoin in /home/me/.config/grid/config.toml (did you mean
// region?)". The keys a backend reads are those it registered (core/registry).
std::vector<std::string> unknown_config_keys(const Config& config);

}  // namespace core
