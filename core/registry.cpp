#include "core/registry.hpp"

#include <map>

#include "core/errors.hpp"

namespace core {

namespace {

std::map<std::string, ProviderFactory>& factories() {
    static std::map<std::string, ProviderFactory> table;
    return table;
}

}  // namespace

void register_provider(const std::string& name, ProviderFactory factory) {
    factories()[name] = std::move(factory);
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
    if (it == factories().end()) {
        std::string known;
        for (const auto& n : provider_names())
            known += (known.empty() ? "" : ", ") + n;
        throw Error(ErrorKind::Usage, "unknown provider '" + context.name + "'",
                    "known providers: " + known);
    }
    return it->second(context);
}

}  // namespace core
