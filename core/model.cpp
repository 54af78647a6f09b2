#include "core/model.hpp"

namespace core {

State Cluster::status() const {
    std::vector<State> states;
    states.reserve(instances.size());
    for (const auto& i : instances)
        states.push_back(i.state);
    return cluster_status(states);
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

}  // namespace core
