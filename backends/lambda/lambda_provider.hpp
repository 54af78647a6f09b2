#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/provider.hpp"

namespace backends::lambda {

// Lambda Cloud (API v1): one launch per instance, one list call per look at any number of
// them, one terminate call. Registered as "lambda"; settings from [profiles.NAME] with
// provider = "lambda", or [providers.lambda].
std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context);
// The settings it reads (api_key is read only to be refused: keys are not kept in files).
inline const std::vector<std::string> k_settings = {
    "api_key",      "api_key_cmd",      "api_key_env",     "api_url",
    "file_systems", "jumphost_type",    "launch_interval", "poll_interval",
    "region",       "request_interval", "ssh_user",        "timeout"};

}  // namespace backends::lambda
