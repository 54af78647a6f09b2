#pragma once

#include <memory>

#include "core/provider.hpp"

namespace backends::local {

// The embedded default provider: every instance is a sandbox on this machine with its own
// sshd on a loopback address. Registered as "local".
std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context);

}  // namespace backends::local
