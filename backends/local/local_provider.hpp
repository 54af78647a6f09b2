#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/provider.hpp"

namespace backends::local {

// The embedded default provider: every instance is a sandbox on this machine with its own
// sshd on a loopback address. Registered as "local".
std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context);
// The settings of [providers.local]: capacity, the network, the user sessions run as.
inline const std::vector<std::string> k_settings = {"gpus",    "max_instances", "multi_node_types",
                                                    "network", "prices",        "user"};

}  // namespace backends::local
