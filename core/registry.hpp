#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/provider.hpp"
#include "core/scheduler.hpp"

namespace core {

// Backends register a constructor under their name, with the settings they read from their
// table of the config file; the core only ever asks by name.
using ProviderFactory = std::function<std::unique_ptr<Provider>(const ProviderContext&)>;

void register_provider(const std::string& name, ProviderFactory factory,
                       std::vector<std::string> settings = {});
// The settings a provider's or a scheduler's table may hold (empty for an unknown name).
std::vector<std::string> provider_settings(const std::string& name);
std::vector<std::string> scheduler_settings(const std::string& name);
std::vector<std::string> provider_names();
bool has_provider(const std::string& name);
// Throws core::Error (Usage) for an unknown name, listing the known ones.
std::unique_ptr<Provider> make_provider(const ProviderContext& context);

using SchedulerFactory = std::function<std::unique_ptr<Scheduler>(const SchedulerContext&)>;
void register_scheduler(const std::string& name, SchedulerFactory factory,
                        std::vector<std::string> settings = {});
std::vector<std::string> scheduler_names();
// Throws core::Error (Usage) for an unknown name, listing the known ones.
std::unique_ptr<Scheduler> make_scheduler(const SchedulerContext& context);

}  // namespace core
