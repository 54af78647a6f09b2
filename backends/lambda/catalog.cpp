#include "backends/lambda/catalog.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace backends::lambda {

namespace {

int gpu_memory_gb(const std::string& model, const std::string& variant) {
    static const std::map<std::string, int> known = {{"H100", 80},  {"H200", 141}, {"B200", 180},
                                                     {"GH200", 96}, {"A10", 24},   {"A6000", 48},
                                                     {"V100", 16},  {"A100", 40}};
    if (model == "A100" && variant.find("80GB") != std::string::npos) return 80;
    const auto it = known.find(model);
    return it == known.end() ? 0 : it->second;
}

}  // namespace

ParsedTypeName parse_type_name(const std::string& name) {
    ParsedTypeName p;
    // gpu_{count}x_{model}[_{variant...}]
    if (name.rfind("gpu_", 0) != 0) return p;
    const auto x = name.find("x_", 4);
    if (x == std::string::npos || x == 4) return p;
    const std::string count = name.substr(4, x - 4);
    if (!std::all_of(count.begin(), count.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        count.size() > 3)
        return p;
    const std::string rest = name.substr(x + 2);
    const auto us = rest.find('_');
    p.model = core::upper(rest.substr(0, us));
    if (us != std::string::npos) p.variant = core::upper(rest.substr(us + 1));
    if (p.model.empty()) return p;
    p.gpu_count = std::stoi(count);
    return p;
}

std::vector<MappedType> map_catalog(const std::vector<ApiInstanceType>& types) {
    std::vector<const ApiInstanceType*> sorted;
    for (const auto& t : types)
        sorted.push_back(&t);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return a->price_cents_per_hour != b->price_cents_per_hour
                   ? a->price_cents_per_hour < b->price_cents_per_hour
                   : a->name < b->name;
    });
    std::vector<MappedType> out;
    std::set<std::string> taken;
    for (const auto* t : sorted) {
        const ParsedTypeName p = parse_type_name(t->name);
        MappedType m;
        m.lambda_name = t->name;
        m.price_cents_per_hour = t->price_cents_per_hour;
        std::string name = t->name;  // a shape grid does not know keeps Lambda's name
        if (p.gpu_count > 0) {
            name = std::to_string(p.gpu_count) + "x" + p.model;
            if (taken.count(name) && !p.variant.empty()) name += "-" + p.variant;
        }
        if (taken.count(name)) name = t->name;
        taken.insert(name);
        m.type.name = name;
        m.type.gpu_model = p.model;
        m.type.gpu_count = p.gpu_count > 0 ? p.gpu_count : t->gpus;
        m.type.gpu_memory_gb = gpu_memory_gb(p.model, p.variant);
        m.type.vcpus = t->vcpus;
        m.type.memory_gb = t->memory_gib;
        m.type.price_per_hour = t->price_cents_per_hour / 100.0;
        m.type.regions = t->regions_with_capacity;
        // Lambda says where there is room, not how much: one node is all that is certain.
        m.type.available = t->regions_with_capacity.empty() ? 0 : 1;
        // Seed 002: clusters of several nodes are made of the 8-GPU machines.
        m.type.multi_node = m.type.gpu_count == 8;
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(), [](const MappedType& a, const MappedType& b) {
        return a.type.gpu_model != b.type.gpu_model ? a.type.gpu_model < b.type.gpu_model
                                                    : a.type.gpu_count < b.type.gpu_count;
    });
    return out;
}

}  // namespace backends::lambda
