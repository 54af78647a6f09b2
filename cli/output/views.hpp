#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace cli {

// Renderers come in pairs over the same data: one for people, one for programs (-o json).
// JSON field names are part of the command-line contract; add fields, never rename them.

nlohmann::json cluster_json(const core::Cluster& c);  // with its instances
nlohmann::json summary_json(const core::ClusterSummary& c);
void print_clusters_table(std::ostream& out,
                          const std::vector<const core::ClusterSummary*>& clusters, bool color);
void print_clusters_json(std::ostream& out,
                         const std::vector<const core::ClusterSummary*>& clusters);
// For commands that act on clusters and show what became of them: ids and statuses, or JSON.
void print_clusters(std::ostream& out, const std::vector<core::Cluster>& clusters, bool json,
                    bool quiet, bool color);
void print_cluster_table(std::ostream& out, const core::Cluster& c, bool color);
void print_cluster_json(std::ostream& out, const core::Cluster& c);

void print_types_table(std::ostream& out, const std::vector<core::InstanceType>& types, bool color);
void print_types_json(std::ostream& out, const std::string& provider,
                      const std::vector<core::InstanceType>& types);

void print_keys_table(std::ostream& out, const std::vector<core::SshKey>& keys, bool color);
void print_keys_json(std::ostream& out, const std::vector<core::SshKey>& keys);

void print_json(std::ostream& out, const nlohmann::json& doc);

// "5m", "2h30m"; for ages and time left.
std::string age(std::int64_t since_unix);

}  // namespace cli
