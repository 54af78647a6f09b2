#include "cli/output/type_views.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/output/json_text.hpp"
#include "cli/output/table.hpp"

namespace cli {

using nlohmann::json;

void print_types_table(std::ostream& out, const std::vector<core::InstanceType>& types,
                       bool color) {
    print_table(
        out, {"TYPE", "GPUS", "GPU", "GPU MEMORY", "PRICE/H", "AVAILABLE", "MULTI-NODE"},
        types.size(),
        [&](std::size_t r, Row& row) {
            const auto& it = types[r];
            row.add(it.name);
            row.add(std::to_string(it.gpu_count));
            row.add(it.gpu_model + (it.emulated ? " (emulated)" : ""));
            row.add(it.gpu_memory_gb ? std::to_string(it.gpu_memory_gb) + " GB" : "-");
            row.add(fmt::format("${:.2f}", it.price_per_hour));
            row.add(std::to_string(it.available), it.available > 0 ? Color::Green : Color::Dim);
            row.add(it.multi_node ? "yes" : "no");
        },
        color);
}

void print_types_json(std::ostream& out, const std::string& provider,
                      const std::vector<core::InstanceType>& types) {
    json list = json::array();
    for (const auto& it : types)
        list.push_back({{"name", it.name},
                        {"gpu_model", it.gpu_model},
                        {"gpus", it.gpu_count},
                        {"gpu_memory_gb", it.gpu_memory_gb},
                        {"vcpus", it.vcpus},
                        {"memory_gb", it.memory_gb},
                        {"price_per_hour", it.price_per_hour},
                        {"available", it.available},
                        {"multi_node", it.multi_node},
                        {"emulated", it.emulated},
                        {"regions", it.regions}});
    print_json(out, {{"provider", provider}, {"types", list}});
}

}  // namespace cli
