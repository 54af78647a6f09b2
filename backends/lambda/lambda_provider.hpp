#pragma once

#include <memory>

#include "core/provider.hpp"

namespace backends::lambda {

// Lambda Cloud (API v1): one launch per instance, one list call per look at any number of
// them, one terminate call. Registered as "lambda"; settings from [profiles.NAME] with
// provider = "lambda", or [providers.lambda].
std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context);

}  // namespace backends::lambda
