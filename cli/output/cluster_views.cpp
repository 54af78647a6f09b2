#include "cli/output/cluster_views.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/output/json_text.hpp"
#include "cli/output/table.hpp"
#include "core/duration.hpp"

namespace cli {

using nlohmann::json;

namespace {

json time_or_null(const std::optional<std::int64_t>& t) {
    return t ? json(core::format_rfc3339(*t)) : json(nullptr);
}

std::string ttl_text(const core::ClusterSummary& c, std::int64_t now) {
    if (!c.expires_at || c.status == core::State::Destroyed || c.status == core::State::Failed)
        return "-";
    const std::int64_t left = *c.expires_at - now;
    return left <= 0 ? "expired" : core::format_duration(std::chrono::seconds(left));
}

std::string address_text(const core::Instance& i) {
    const std::string& a = i.public_ip.empty() ? i.private_ip : i.public_ip;
    if (a.empty()) return "-";
    return a + ":" + std::to_string(i.ssh_port);
}

}  // namespace

// The fields every cluster document has, in lists and in `cluster info` alike.
json summary_json(const core::ClusterSummary& c) {
    json labels = json::object();
    for (const auto& [k, v] : c.labels)
        labels[k] = v;
    return {
        {"id", c.id},
        {"name", c.name.empty() ? json(nullptr) : json(c.name)},
        {"status", core::to_string(c.status)},
        {"provider", c.provider},
        {"profile", c.profile.empty() ? json(nullptr) : json(c.profile)},
        {"type", c.type},
        {"nodes", c.nodes},
        {"gpus", c.gpus},
        {"group", c.group.empty() ? json(nullptr) : json(c.group)},
        {"labels", labels},
        {"created_at", core::format_rfc3339(c.created_at)},
        {"expires_at", time_or_null(c.expires_at)},
        {"ended_at", time_or_null(c.ended_at)},
        {"archived", c.archived},
        {"end_reason", c.end_reason == core::EndReason::None ? json(nullptr)
                                                             : json(core::to_string(c.end_reason))},
        {"end_detail", c.end_detail.empty() ? json(nullptr) : json(c.end_detail)},
    };
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
            {"price_per_hour", i.price_per_hour},
        });
    }
    json doc = summary_json(core::summarize(c));
    doc["region"] = c.region.empty() ? json(nullptr) : json(c.region);
    doc["container"] = c.container.empty() ? json(nullptr) : json(c.container);
    doc["topology"] = core::to_string(c.topology);
    doc["price_per_hour"] = c.price_per_hour();
    doc["instances"] = instances;
    return doc;
}

void print_clusters_table(std::ostream& out,
                          const std::vector<const core::ClusterSummary*>& clusters,
                          std::int64_t now, bool color) {
    print_table(
        out, {"ID", "NAME", "STATUS", "TYPE", "NODES", "GPUS", "PROVIDER", "AGE", "TTL"},
        clusters.size(),
        [&](std::size_t r, Row& row) {
            const auto* c = clusters[r];
            row.add(c->id);
            row.add(c->name.empty() ? "-" : c->name);
            row.add(core::to_string(c->status), status_color(c->status));
            row.add(c->type);
            row.add(std::to_string(c->nodes));
            row.add(std::to_string(c->gpus));
            row.add(c->provider);
            row.add(core::format_duration(std::chrono::seconds(now - c->created_at)));
            row.add(ttl_text(*c, now));
        },
        color);
}

void print_clusters_json(std::ostream& out,
                         const std::vector<const core::ClusterSummary*>& clusters) {
    // The same document as print_json({"clusters": [...]}) would give, written one cluster at a
    // time: a document of a thousand clusters built whole takes megabytes, and touching memory
    // is what a short-lived process pays most for.
    std::string text = "{\n  \"clusters\": [";
    for (std::size_t k = 0; k < clusters.size(); ++k) {
        std::string item = summary_json(*clusters[k]).dump(2);
        text += k ? ",\n    " : "\n    ";
        for (char ch : item) {
            text += ch;
            if (ch == '\n') text += "    ";
        }
    }
    text += clusters.empty() ? "]\n}\n" : "\n  ]\n}\n";
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void print_clusters(std::ostream& out, const std::vector<core::Cluster>& clusters, bool as_json,
                    bool quiet, bool color) {
    std::vector<core::ClusterSummary> summaries;
    for (const auto& c : clusters)
        summaries.push_back(core::summarize(c));
    std::vector<const core::ClusterSummary*> ptrs;
    for (const auto& s : summaries)
        ptrs.push_back(&s);
    if (as_json) return print_clusters_json(out, ptrs);
    for (const auto* s : ptrs)
        out << s->id
            << (quiet ? ""
                      : "  " + paint(core::to_string(s->status), status_color(s->status), color))
            << '\n';
}

void print_cluster_table(std::ostream& out, const core::Cluster& c, std::int64_t now, bool color) {
    const auto s = c.status();
    Fields f;
    f.add("Cluster", c.name.empty() ? c.id : c.id + " (" + c.name + ")");
    f.add("Status", Cell(core::to_string(s), status_color(s)));
    std::string what = std::to_string(c.nodes) + " x " + c.type;
    const auto summary = core::summarize(c);
    const int gpus = summary.gpus;
    if (gpus > 0) {
        std::string model;
        for (const auto& i : c.instances)
            if (!i.gpu_model.empty()) model = i.gpu_model;
        what +=
            fmt::format(" ({} {} GPUs{})", gpus, model, c.provider == "local" ? ", emulated" : "");
    }
    f.add("Type", what);
    f.add("Provider", c.profile.empty() ? c.provider : c.provider + " (profile " + c.profile + ")");
    f.add("Created", core::format_rfc3339(c.created_at) + " (" +
                         core::format_duration(std::chrono::seconds(now - c.created_at)) + " ago)");
    if (c.expires_at)
        f.add("Expires",
              core::format_rfc3339(*c.expires_at) + " (ttl " + ttl_text(summary, now) + ")");
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
    print_table(
        out, {"INSTANCE", "ROLE", "STATUS", "ADDRESS", "GPUS", "NOTE"}, c.instances.size(),
        [&](std::size_t r, Row& row) {
            const auto& i = c.instances[r];
            row.add(i.id);
            row.add(core::to_string(i.role));
            row.add(core::to_string(i.state), status_color(i.state));
            row.add(address_text(i));
            row.add(i.gpu_count ? std::to_string(i.gpu_count) + "x" + i.gpu_model : "-");
            row.add(i.state == core::State::Failed ? i.state_reason : "");
        },
        color);
    if (s == core::State::Running) {
        out << '\n' << "Connect: grid ssh " << c.id;
        if (c.multi_node()) out << "   (workers: grid ssh " << c.id << "-0 ...)";
        out << '\n';
    }
}

void print_cluster_json(std::ostream& out, const core::Cluster& c) {
    print_json(out, cluster_json(c));
}

}  // namespace cli
