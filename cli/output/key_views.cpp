#include "cli/output/key_views.hpp"

#include <nlohmann/json.hpp>

#include "cli/output/json_text.hpp"
#include "cli/output/table.hpp"
#include "core/duration.hpp"

namespace cli {

using nlohmann::json;

void print_keys_table(std::ostream& out, const std::vector<core::SshKey>& keys, bool color) {
    print_table(
        out, {"NAME", "TYPE", "FINGERPRINT", "ADDED"}, keys.size(),
        [&](std::size_t r, Row& row) {
            const auto& k = keys[r];
            row.add(k.name);
            row.add(std::string_view(k.public_key).substr(0, k.public_key.find(' ')));
            row.add(k.fingerprint);
            row.add(core::format_rfc3339(k.created_at));
        },
        color);
}

void print_keys_json(std::ostream& out, const std::vector<core::SshKey>& keys) {
    json list = json::array();
    for (const auto& k : keys)
        list.push_back({{"name", k.name},
                        {"public_key", k.public_key},
                        {"fingerprint", k.fingerprint},
                        {"created_at", core::format_rfc3339(k.created_at)}});
    print_json(out, {{"keys", list}});
}

}  // namespace cli
