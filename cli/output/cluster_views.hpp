#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace cli {

// Clusters, for people (tables) and programs (-o json): renderers come in pairs over the same
// data. JSON field names are part of the command-line contract; add fields, never rename them.

nlohmann::json cluster_json(const core::Cluster& c);  // with its instances
nlohmann::json summary_json(const core::ClusterSummary& c);
// `now`: the time ages and TTLs are counted to.
void print_clusters_table(std::ostream& out,
                          const std::vector<const core::ClusterSummary*>& clusters,
                          std::int64_t now, bool color);
void print_clusters_json(std::ostream& out,
                         const std::vector<const core::ClusterSummary*>& clusters);
// For commands that act on clusters and show what became of them: ids and statuses, or JSON.
void print_clusters(std::ostream& out, const std::vector<core::Cluster>& clusters, bool json,
                    bool quiet, bool color);
void print_cluster_table(std::ostream& out, const core::Cluster& c, std::int64_t now, bool color);
void print_cluster_json(std::ostream& out, const core::Cluster& c);

}  // namespace cli
