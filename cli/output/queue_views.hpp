#pragma once

// The queue, for people (tables) and programs (-o json). JSON field names are part of the
// command-line contract: add fields, never rename them.

#include <cstdint>
#include <ostream>
#include <vector>

#include "core/scheduler.hpp"

namespace cli {

// "1:02:03", "2-03:04:05" as squeue shows times; "UNLIMITED" for none.
std::string slurm_time(std::optional<std::int64_t> seconds);

void print_jobs_table(std::ostream& out, const std::vector<const core::Job*>& jobs,
                      std::int64_t now, bool color);
void print_jobs_json(std::ostream& out, const std::vector<const core::Job*>& jobs,
                     std::int64_t now);
// The table, ids only (quiet), or JSON.
void print_jobs(std::ostream& out, const std::vector<const core::Job*>& jobs, std::int64_t now,
                bool json, bool quiet, bool color);
void print_job_table(std::ostream& out, const core::Job& job, std::int64_t now, bool color);
void print_job_json(std::ostream& out, const core::Job& job, std::int64_t now);

void print_partitions_table(std::ostream& out, const std::vector<core::Partition>& partitions,
                            bool color);
void print_partitions_json(std::ostream& out, const std::vector<core::Partition>& partitions);
// One of them, after a change (`grid queue create`): its row, its JSON object, or its name.
void print_partition(std::ostream& out, const std::vector<core::Partition>& partitions,
                     const std::string& name, bool as_json, bool quiet, bool color);
void print_nodes_table(std::ostream& out, const std::vector<const core::QueueNode*>& nodes,
                       bool color);
void print_nodes_json(std::ostream& out, const std::vector<const core::QueueNode*>& nodes);

}  // namespace cli
