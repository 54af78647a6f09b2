#include "core/registry.hpp"

#include <map>

#include "core/errors.hpp"

namespace core {

namespace {

std::map<std::string, ProviderFactory>& factories() {
    static std::map<std::string, ProviderFactory> table;
    return table;
}

std::map<std::string, SchedulerFactory>& scheduler_factories() {
    static std::map<std::string, SchedulerFactory> table;
    return table;
}

// By "provider:NAME" and "scheduler:NAME".
std::map<std::string, std::vector<std::string>>& settings_table() {
    static std::map<std::string, std::vector<std::string>> table;
    return table;
}

std::vector<std::string> settings_of(const std::string& key) {
    const auto it = settings_table().find(key);
    return it == settings_table().end() ? std::vector<std::string>{} : it->second;
}

template <typename Table>
std::string names_of(const Table& table) {
    std::string known;
    for (const auto& [name, f] : table)
        known += (known.empty() ? "" : ", ") + name;
    return known;
}

}  // namespace

void register_provider(const std::string& name, ProviderFactory factory,
                       std::vector<std::string> settings) {
    factories()[name] = std::move(factory);
    settings_table()["provider:" + name] = std::move(settings);
}

std::vector<std::string> provider_settings(const std::string& name) {
    return settings_of("provider:" + name);
}

std::vector<std::string> scheduler_settings(const std::string& name) {
    return settings_of("scheduler:" + name);
}

std::vector<std::string> provider_names() {
    std::vector<std::string> names;
    for (const auto& [name, f] : factories())
        names.push_back(name);
    return names;
}

bool has_provider(const std::string& name) {
    return factories().count(name) != 0;
}

std::unique_ptr<Provider> make_provider(const ProviderContext& context) {
    const auto it = factories().find(context.name);
    if (it == factories().end())
        throw Error(ErrorKind::Usage, "unknown provider '" + context.name + "'",
                    "known providers: " + names_of(factories()));
    return it->second(context);
}

void register_scheduler(const std::string& name, SchedulerFactory factory,
                        std::vector<std::string> settings) {
    scheduler_factories()[name] = std::move(factory);
    settings_table()["scheduler:" + name] = std::move(settings);
}

std::vector<std::string> scheduler_names() {
    std::vector<std::string> names;
    for (const auto& [name, f] : scheduler_factories())
        names.push_back(name);
    return names;
}

std::unique_ptr<Scheduler> make_scheduler(const SchedulerContext& context) {
    const auto it = scheduler_factories().find(context.name);
    if (it == scheduler_factories().end())
        throw Error(ErrorKind::Usage, "unknown scheduler '" + context.name + "'",
                    "known schedulers: " + names_of(scheduler_factories()));
    return it->second(context);
}

}  // namespace core
