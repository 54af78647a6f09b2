#include "core/model.hpp"

namespace core {

State Cluster::status() const {
    std::vector<State> states;
    states.reserve(instances.size());
    for (const auto& i : instances)
        states.push_back(i.state);
    return cluster_status(states);
}

double Cluster::price_per_hour() const {
    double total = 0;
    for (const auto& i : instances)
        if (is_live(i.state)) total += i.price_per_hour;
    return total;
}

const char* to_string(Topology topology) {
    return topology == Topology::Jumphost ? "jumphost" : "single";
}

ClusterSummary summarize(const Cluster& c) {
    ClusterSummary s;
    s.id = c.id;
    s.name = c.name;
    s.status = c.status();
    s.provider = c.provider;
    s.profile = c.profile;
    s.type = c.type;
    s.nodes = c.nodes;
    for (const auto& i : c.instances)
        s.gpus += i.gpu_count;
    s.group = c.group;
    s.labels = c.labels;
    s.created_at = c.created_at;
    s.expires_at = c.expires_at;
    s.ended_at = c.ended_at;
    s.archived = c.archived;
    s.end_reason = c.end_reason;
    s.end_detail = c.end_detail;
    return s;
}

namespace {

struct KindName {
    OperationKind kind;
    const char* text;
};
constexpr KindName k_kind_names[] = {
    {OperationKind::Create, "create"},
    {OperationKind::Destroy, "destroy"},
    {OperationKind::Unknown, "unknown"},
};

}  // namespace

namespace {

struct EventKindName {
    EventKind kind;
    const char* text;
};
constexpr EventKindName k_event_kind_names[] = {
    {EventKind::Created, "created"},    {EventKind::Transition, "transition"},
    {EventKind::Observed, "observed"},  {EventKind::Found, "found"},
    {EventKind::Archived, "archived"},  {EventKind::Note, "note"},
    {EventKind::Edited, "edited"},      {EventKind::EditRefused, "edit refused"},
    {EventKind::HeldBack, "held back"},
};

}  // namespace

const char* to_string(EventKind kind) {
    for (const auto& k : k_event_kind_names)
        if (k.kind == kind) return k.text;
    return "note";
}

EventKind parse_event_kind(std::string_view text) {
    for (const auto& k : k_event_kind_names)
        if (text == k.text) return k.kind;
    return EventKind::Note;
}

const char* to_string(OperationKind kind) {
    for (const auto& k : k_kind_names)
        if (k.kind == kind) return k.text;
    return "unknown";
}

std::optional<OperationKind> parse_operation_kind(std::string_view text) {
    for (const auto& k : k_kind_names)
        if (text == k.text) return k.kind;
    return std::nullopt;
}

void set_cluster_id(Cluster& c, const std::string& id) {
    c.id = id;
    for (auto& i : c.instances) {
        i.id = instance_name(id, i.role, i.index);
        i.cluster_id = id;
    }
}

}  // namespace core
