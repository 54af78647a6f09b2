#include "cli/output/queue_views.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "cli/output/json_text.hpp"
#include "cli/output/table.hpp"
#include "core/duration.hpp"

namespace cli {

namespace {

using json = nlohmann::json;
using core::JobCategory;

Color category_color(JobCategory c) {
    switch (c) {
        case JobCategory::Running:
            return Color::Green;
        case JobCategory::Pending:
            return Color::Yellow;
        case JobCategory::Failed:
            return Color::Red;
        default:
            return Color::None;
    }
}

json time_or_null(std::int64_t unix_seconds) {
    return unix_seconds > 0 ? json(core::format_rfc3339(unix_seconds)) : json(nullptr);
}

json job_json(const core::Job& j, std::int64_t now) {
    return {{"id", j.id},
            {"name", j.name},
            {"user", j.user},
            {"partition", j.partition},
            {"state", j.state},
            {"category", core::to_string(core::job_category(j.state))},
            {"reason", j.reason.empty() ? json(nullptr) : json(j.reason)},
            {"nodes", j.nodes},
            {"gpus", j.gpus},
            {"node_list", j.node_list.empty() ? json(nullptr) : json(j.node_list)},
            {"submit_time", time_or_null(j.submit_time)},
            {"start_time", time_or_null(j.start_time)},
            {"end_time", time_or_null(j.end_time)},
            {"run_time_s", core::job_run_time(j, now)},
            {"time_limit_s", j.time_limit ? json(*j.time_limit) : json(nullptr)},
            {"priority", j.priority},
            {"exit_code", j.exit_code},
            {"command", j.command.empty() ? json(nullptr) : json(j.command)},
            {"work_dir", j.work_dir.empty() ? json(nullptr) : json(j.work_dir)},
            {"stdout", j.stdout_path.empty() ? json(nullptr) : json(j.stdout_path)}};
}

std::array<int, 5> count(const std::vector<const core::Job*>& jobs) {
    std::array<int, 5> n{};
    for (const auto* j : jobs)
        ++n[static_cast<std::size_t>(core::job_category(j->state))];
    return n;
}

}  // namespace

std::string slurm_time(std::optional<std::int64_t> seconds) {
    if (!seconds) return "UNLIMITED";
    const std::int64_t s = *seconds, days = s / 86400;
    char buf[48];
    if (days > 0)
        std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(days),
                      static_cast<long long>(s % 86400 / 3600),
                      static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                      static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
    return buf;
}

void print_jobs_table(std::ostream& out, const std::vector<const core::Job*>& jobs,
                      std::int64_t now, bool color) {
    const auto n = count(jobs);
    std::string line;
    for (std::size_t c = 0; c < n.size(); ++c) {
        const auto cat = static_cast<JobCategory>(c);
        line += (c ? "  " : "") +
                paint(core::to_string(cat), category_color(cat), color && n[c] > 0) + " " +
                std::to_string(n[c]);
    }
    out << line << "\n\n";
    if (jobs.empty()) return;
    print_table(
        out,
        {"JOBID", "NAME", "USER", "PARTITION", "NODES", "GPUS", "RUNTIME", "TIMELIMIT", "STATE",
         "PRIORITY"},
        jobs.size(),
        [&](std::size_t r, Row& row) {
            const core::Job& j = *jobs[r];
            row.add(j.id);
            row.add(j.name.empty() ? "-" : j.name);
            row.add(j.user);
            row.add(j.partition);
            row.add(std::to_string(j.nodes));
            row.add(std::to_string(j.gpus));
            row.add(slurm_time(core::job_run_time(j, now)));
            row.add(slurm_time(j.time_limit));
            row.add(j.state, category_color(core::job_category(j.state)));
            row.add(std::to_string(j.priority));
        },
        color);
}

void print_jobs_json(std::ostream& out, const std::vector<const core::Job*>& jobs,
                     std::int64_t now) {
    const auto n = count(jobs);
    json counts = json::object();
    for (std::size_t c = 0; c < n.size(); ++c) {
        std::string key = core::to_string(static_cast<JobCategory>(c));
        key[0] = static_cast<char>(key[0] - 'A' + 'a');
        counts[key] = n[c];
    }
    json list = json::array();
    for (const auto* j : jobs)
        list.push_back(job_json(*j, now));
    print_json(out, {{"counts", counts}, {"jobs", list}});
}

void print_jobs(std::ostream& out, const std::vector<const core::Job*>& jobs, std::int64_t now,
                bool json, bool quiet, bool color) {
    if (json)
        print_jobs_json(out, jobs, now);
    else if (quiet)
        for (const auto* j : jobs)
            out << j->id << '\n';
    else
        print_jobs_table(out, jobs, now, color);
}

void print_job_table(std::ostream& out, const core::Job& j, std::int64_t now, bool color) {
    Fields f;
    f.add("Job", j.id);
    f.add("Name", j.name.empty() ? "-" : j.name);
    f.add("State", Cell(j.state + (j.reason.empty() ? "" : " (" + j.reason + ")"),
                        category_color(core::job_category(j.state))));
    f.add("User", j.user);
    f.add("Partition", j.partition);
    f.add("Nodes", std::to_string(j.nodes) + (j.node_list.empty() ? "" : " (" + j.node_list + ")"));
    f.add("GPUs", std::to_string(j.gpus));
    f.add("Run time", slurm_time(core::job_run_time(j, now)));
    f.add("Time limit", slurm_time(j.time_limit));
    f.add("Priority", std::to_string(j.priority));
    f.add("Submitted", j.submit_time > 0 ? core::format_rfc3339(j.submit_time) : "-");
    if (j.start_time > 0) f.add("Started", core::format_rfc3339(j.start_time));
    if (j.end_time > 0 && core::job_category(j.state) != JobCategory::Running)
        f.add("Ended", core::format_rfc3339(j.end_time));
    if (core::job_category(j.state) != JobCategory::Running &&
        core::job_category(j.state) != JobCategory::Pending)
        f.add("Exit code", std::to_string(j.exit_code));
    if (!j.command.empty()) f.add("Command", j.command);
    if (!j.work_dir.empty()) f.add("Directory", j.work_dir);
    if (!j.stdout_path.empty()) f.add("Output", j.stdout_path);
    f.print(out, color);
}

void print_job_json(std::ostream& out, const core::Job& j, std::int64_t now) {
    print_json(out, job_json(j, now));
}

namespace {

Color node_color(const std::string& state) {
    if (state == "IDLE") return Color::Green;
    if (state == "MIXED" || state == "ALLOCATED") return Color::Yellow;
    return Color::Red;
}

json seconds_or_null(const std::optional<std::int64_t>& s) {
    return s ? json(*s) : json(nullptr);
}

}  // namespace

void print_partitions_table(std::ostream& out, const std::vector<core::Partition>& parts,
                            bool color) {
    print_table(
        out, {"PARTITION", "NODES", "GPU", "GPUS FREE/TOTAL", "DEFAULT TIME", "MAX TIME", "STATE"},
        parts.size(),
        [&](std::size_t r, Row& row) {
            const core::Partition& p = parts[r];
            row.add(p.name + (p.is_default ? "*" : ""));
            row.add(std::to_string(p.nodes));
            row.add(p.gpu_type.empty() ? "-" : p.gpu_type);
            row.add(std::to_string(p.gpus_available) + "/" + std::to_string(p.gpus_total));
            row.add(slurm_time(p.default_time));
            row.add(slurm_time(p.max_time));
            row.add(p.state, p.state == "UP" ? Color::Green : Color::Red);
        },
        color);
}

namespace {

json partition_json(const core::Partition& p) {
    return {{"name", p.name},
            {"default", p.is_default},
            {"state", p.state},
            {"nodes", p.nodes},
            {"gpu_type", p.gpu_type.empty() ? json(nullptr) : json(p.gpu_type)},
            {"gpus_total", p.gpus_total},
            {"gpus_available", p.gpus_available},
            {"default_time_s", seconds_or_null(p.default_time)},
            {"max_time_s", seconds_or_null(p.max_time)}};
}

}  // namespace

void print_partitions_json(std::ostream& out, const std::vector<core::Partition>& parts) {
    json list = json::array();
    for (const auto& p : parts)
        list.push_back(partition_json(p));
    print_json(out, {{"partitions", list}});
}

void print_partition(std::ostream& out, const std::vector<core::Partition>& parts,
                     const std::string& name, bool as_json, bool quiet, bool color) {
    std::vector<core::Partition> one;
    for (const auto& p : parts)
        if (p.name == name) one.push_back(p);
    if (quiet)
        out << name << '\n';
    else if (as_json)
        print_json(out, one.empty() ? json{{"name", name}} : partition_json(one.front()));
    else
        print_partitions_table(out, one, color);
}

void print_nodes_table(std::ostream& out, const std::vector<const core::QueueNode*>& nodes,
                       bool color) {
    print_table(
        out, {"NODE", "STATE", "PARTITIONS", "GPUS ALLOC/TOTAL", "CPUS", "LOAD", "MEMORY"},
        nodes.size(),
        [&](std::size_t r, Row& row) {
            const core::QueueNode& n = *nodes[r];
            row.add(n.name);
            row.add(n.state, node_color(n.state));
            std::string parts;
            for (const auto& p : n.partitions)
                parts += (parts.empty() ? "" : ",") + p;
            row.add(parts.empty() ? "-" : parts);
            row.add(std::to_string(n.gpus_allocated) + "/" + std::to_string(n.gpus_total) +
                    (n.gpu_type.empty() ? "" : " " + n.gpu_type));
            row.add(std::to_string(n.cpus));
            char load[32];
            std::snprintf(load, sizeof load, "%.2f", n.cpu_load);
            row.add(load);
            row.add(std::to_string(n.memory_allocated_mb / 1024) + "/" +
                    std::to_string(n.memory_mb / 1024) + " GB");
        },
        color);
}

void print_nodes_json(std::ostream& out, const std::vector<const core::QueueNode*>& nodes) {
    json list = json::array();
    for (const auto* n : nodes)
        list.push_back({{"name", n->name},
                        {"state", n->state},
                        {"reason", n->reason.empty() ? json(nullptr) : json(n->reason)},
                        {"partitions", n->partitions},
                        {"gpu_type", n->gpu_type.empty() ? json(nullptr) : json(n->gpu_type)},
                        {"gpus_total", n->gpus_total},
                        {"gpus_allocated", n->gpus_allocated},
                        {"cpus", n->cpus},
                        {"cpu_load", n->cpu_load},
                        {"memory_mb", n->memory_mb},
                        {"memory_allocated_mb", n->memory_allocated_mb}});
    print_json(out, {{"nodes", list}});
}

}  // namespace cli
