#pragma once

// slurmrestd's v0.0.38 documents (and squeue/sinfo --json, which share them) read into grid's
// queue model.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/scheduler.hpp"

namespace backends::slurm {

core::Job parse_job(const nlohmann::json& j);

// A reply to GET /jobs (or squeue --json), read without building the whole document: with
// thousands of jobs it is megabytes, and each job keeps only what grid shows.
struct JobsReply {
    bool valid = false;  // one JSON object
    std::vector<core::Job> jobs;
    nlohmann::json errors = nlohmann::json::array();
};
JobsReply parse_jobs_reply(std::string_view body);
core::Partition parse_partition(const nlohmann::json& j);
core::QueueNode parse_node(const nlohmann::json& j);
// Every node of a reply to GET /nodes (or sinfo --json).
std::vector<core::QueueNode> parse_nodes(const nlohmann::json& doc);
// Partitions get their GPU counts from their nodes, which name the partitions they are in.
void count_partition_gpus(std::vector<core::Partition>& partitions,
                          const std::vector<core::QueueNode>& nodes);

// "gres:gpu:h100:2,gres:shard:1" -> 2 (GPUs of any type). "gpu:h100:8(S:0)" works too.
int gpu_count(const std::string& gres);
std::string gpu_type(const std::string& gres);  // "h100", or "" when untyped or none

}  // namespace backends::slurm
