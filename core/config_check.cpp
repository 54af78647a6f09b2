#include "core/config_check.hpp"

#include <algorithm>

#include "core/registry.hpp"
#include "core/text.hpp"

namespace core {

namespace {

const std::vector<std::string> k_top_level = {"default_provider", "providers", "profiles"};
// What a profile holds besides its backends' settings.
const std::vector<std::string> k_profile_keys = {"provider", "scheduler"};

void check_keys(const Settings& table, const std::vector<std::string>& known,
                const std::string& source, std::vector<std::string>& out) {
    for (const auto& key : table.keys()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        const std::string near = closest(key, known);
        std::string line = "unknown key " +
                           (table.path().empty() ? key : table.path() + "." + key) + " in " +
                           source;
        if (!near.empty()) line += " (did you mean " + near + "?)";
        out.push_back(printable(line));
    }
}

}  // namespace

std::vector<std::string> unknown_config_keys(const Config& config) {
    std::vector<std::string> out;
    const Settings root = config.root();
    if (root.empty()) return out;
    const std::string& source = config.source();
    check_keys(root, k_top_level, source, out);

    const Settings providers = root.table("providers");
    const auto names = provider_names();
    for (const auto& name : providers.keys()) {
        if (!has_provider(name)) {
            const std::string near = closest(name, names);
            out.push_back(printable("unknown provider providers." + name + " in " + source +
                                    (near.empty() ? "" : " (did you mean " + near + "?)")));
            continue;
        }
        check_keys(providers.table(name), provider_settings(name), source, out);
    }

    for (const auto& name : config.profile_names()) {
        const auto profile = config.profile(name);
        if (!profile) continue;
        std::vector<std::string> known = k_profile_keys;
        const auto add = [&](const std::vector<std::string>& keys) {
            known.insert(known.end(), keys.begin(), keys.end());
        };
        if (!profile->provider.empty()) add(provider_settings(profile->provider));
        if (const auto scheduler = profile->settings.string("scheduler"))
            add(scheduler_settings(*scheduler));
        check_keys(profile->settings, known, source, out);
    }
    return out;
}

}  // namespace core
