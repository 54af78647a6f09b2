#include "cli/output/views.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/output/table.hpp"
#include "core/duration.hpp"

namespace cli {

using nlohmann::json;

namespace {

json time_or_null(const std::optional<std::int64_t>& t) {
    return t ? json(core::format_rfc3339(*t)) : json(nullptr);
}

int total_gpus(const core::Cluster& c) {
    int n = 0;
    for (const auto& i : c.instances)
        n += i.gpu_count;
    return n;
}

std::string ttl_text(const core::Cluster& c) {
    if (!c.expires_at) return "-";
    const auto s = c.status();
    if (s == core::State::Destroyed || s == core::State::Failed) return "-";
    const std::int64_t left = *c.expires_at - core::now_unix();
    return left <= 0 ? "expired" : core::format_duration(std::chrono::seconds(left));
}

std::string address_text(const core::Instance& i) {
    const std::string& a = i.public_ip.empty() ? i.private_ip : i.public_ip;
    if (a.empty()) return "-";
    return a + ":" + std::to_string(i.ssh_port);
}

}  // namespace

std::string age(std::int64_t since_unix) {
    return core::format_duration(std::chrono::seconds(core::now_unix() - since_unix));
}

json cluster_json(const core::Cluster& c) {
    json instances = json::array();
    for (const auto& i : c.instances) {
        instances.push_back({
            {"id", i.id},
            {"role", core::to_string(i.role)},
            {"index", i.role == core::Role::Jumphost ? json(nullptr) : json(i.index)},
            {"status", core::to_string(i.state)},
            {"status_reason", i.state_reason},
            {"provider_id", i.provider_id.empty() ? json(nullptr) : json(i.provider_id)},
            {"public_ip", i.public_ip.empty() ? json(nullptr) : json(i.public_ip)},
            {"private_ip", i.private_ip.empty() ? json(nullptr) : json(i.private_ip)},
            {"ssh_port", i.ssh_port},
            {"ssh_user", i.ssh_user.empty() ? json(nullptr) : json(i.ssh_user)},
            {"gpu_model", i.gpu_model.empty() ? json(nullptr) : json(i.gpu_model)},
            {"gpus", i.gpu_count},
        });
    }
    json labels = json::object();
    for (const auto& [k, v] : c.labels)
        labels[k] = v;
    return {
        {"id", c.id},
        {"name", c.name.empty() ? json(nullptr) : json(c.name)},
        {"status", core::to_string(c.status())},
        {"provider", c.provider},
        {"profile", c.profile.empty() ? json(nullptr) : json(c.profile)},
        {"region", c.region.empty() ? json(nullptr) : json(c.region)},
        {"type", c.type},
        {"nodes", c.nodes},
        {"gpus", total_gpus(c)},
        {"container", c.container.empty() ? json(nullptr) : json(c.container)},
        {"group", c.group.empty() ? json(nullptr) : json(c.group)},
        {"labels", labels},
        {"created_at", core::format_rfc3339(c.created_at)},
        {"expires_at", time_or_null(c.expires_at)},
        {"ended_at", time_or_null(c.ended_at)},
        {"archived", c.archived},
        {"end_reason", c.end_reason == core::EndReason::None ? json(nullptr)
                                                             : json(core::to_string(c.end_reason))},
        {"end_detail", c.end_detail.empty() ? json(nullptr) : json(c.end_detail)},
        {"instances", instances},
    };
}

void print_json(std::ostream& out, const json& doc) {
    out << doc.dump(2) << '\n';
}

void print_clusters_table(std::ostream& out, const std::vector<core::Cluster>& clusters,
                          bool color) {
    Table t({"ID", "NAME", "STATUS", "TYPE", "NODES", "GPUS", "PROVIDER", "AGE", "TTL"});
    for (const auto& c : clusters) {
        const auto s = c.status();
        t.add({c.id, c.name.empty() ? "-" : c.name, Cell(core::to_string(s), status_color(s)),
               c.type, std::to_string(c.nodes), std::to_string(total_gpus(c)), c.provider,
               age(c.created_at), ttl_text(c)});
    }
    t.print(out, color);
}

void print_clusters_json(std::ostream& out, const std::vector<core::Cluster>& clusters) {
    json list = json::array();
    for (const auto& c : clusters)
        list.push_back(cluster_json(c));
    print_json(out, {{"clusters", list}});
}

void print_cluster_table(std::ostream& out, const core::Cluster& c, bool color) {
    const auto s = c.status();
    Fields f;
    f.add("Cluster", c.name.empty() ? c.id : c.id + " (" + c.name + ")");
    f.add("Status", Cell(core::to_string(s), status_color(s)));
    std::string what = std::to_string(c.nodes) + " x " + c.type;
    const int gpus = total_gpus(c);
    if (gpus > 0) {
        std::string model;
        for (const auto& i : c.instances)
            if (!i.gpu_model.empty()) model = i.gpu_model;
        what +=
            fmt::format(" ({} {} GPUs{})", gpus, model, c.provider == "local" ? ", emulated" : "");
    }
    f.add("Type", what);
    f.add("Provider", c.profile.empty() ? c.provider : c.provider + " (profile " + c.profile + ")");
    f.add("Created", core::format_rfc3339(c.created_at) + " (" + age(c.created_at) + " ago)");
    if (c.expires_at)
        f.add("Expires", core::format_rfc3339(*c.expires_at) + " (ttl " + ttl_text(c) + ")");
    if (!c.group.empty()) f.add("Group", c.group);
    if (!c.labels.empty()) {
        std::string labels;
        for (const auto& [k, v] : c.labels)
            labels += (labels.empty() ? "" : ", ") + k + "=" + v;
        f.add("Labels", labels);
    }
    if (c.end_reason != core::EndReason::None) {
        std::string ended = core::to_string(c.end_reason);
        if (!c.end_detail.empty()) ended += ": " + c.end_detail;
        if (c.ended_at) ended += " (" + core::format_rfc3339(*c.ended_at) + ")";
        f.add("Ended", ended);
    }
    if (c.archived) f.add("Archived", "yes");
    f.print(out, color);
    out << '\n';
    Table t({"INSTANCE", "ROLE", "STATUS", "ADDRESS", "GPUS", "NOTE"});
    for (const auto& i : c.instances) {
        const std::string gpus =
            i.gpu_count ? std::to_string(i.gpu_count) + "x" + i.gpu_model : "-";
        const bool show_reason = i.state == core::State::Failed;
        t.add({i.id, core::to_string(i.role), Cell(core::to_string(i.state), status_color(i.state)),
               address_text(i), gpus, show_reason ? i.state_reason : ""});
    }
    t.print(out, color);
    if (s == core::State::Running) {
        out << '\n' << "Connect: grid ssh " << c.id;
        if (c.multi_node()) out << "   (workers: grid ssh " << c.id << "-0 ...)";
        out << '\n';
    }
}

void print_cluster_json(std::ostream& out, const core::Cluster& c) {
    print_json(out, cluster_json(c));
}

void print_types_table(std::ostream& out, const std::vector<core::InstanceType>& types,
                       bool color) {
    Table t({"TYPE", "GPUS", "GPU", "GPU MEMORY", "PRICE/H", "AVAILABLE", "MULTI-NODE"});
    for (const auto& it : types) {
        std::string gpu = it.gpu_model;
        if (it.emulated) gpu += " (emulated)";
        t.add({it.name, std::to_string(it.gpu_count), gpu,
               it.gpu_memory_gb ? std::to_string(it.gpu_memory_gb) + " GB" : "-",
               fmt::format("${:.2f}", it.price_per_hour),
               Cell(std::to_string(it.available), it.available > 0 ? Color::Green : Color::Dim),
               it.multi_node ? "yes" : "no"});
    }
    t.print(out, color);
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

void print_keys_table(std::ostream& out, const std::vector<core::SshKey>& keys, bool color) {
    Table t({"NAME", "TYPE", "FINGERPRINT", "ADDED"});
    for (const auto& k : keys)
        t.add({k.name, k.public_key.substr(0, k.public_key.find(' ')), k.fingerprint,
               core::format_rfc3339(k.created_at)});
    t.print(out, color);
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
