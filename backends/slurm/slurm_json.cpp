#include "backends/slurm/slurm_json.hpp"
#include "backends/slurm/json_cursor.hpp"
#include "core/memory.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace backends::slurm {

using json = nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t num(const json& j, const char* key, std::int64_t fallback = 0) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<std::int64_t>() : fallback;
}

// Minutes in the API; absent or negative is "unlimited" (INFINITE), as is NO_VAL.
std::optional<std::int64_t> limit_seconds(std::optional<std::int64_t> m) {
    if (!m || *m < 0 || *m >= 0xFFFFFFFELL) return std::nullopt;
    return *m * 60;
}

std::optional<std::int64_t> minutes(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return limit_seconds(it->get<std::int64_t>());
}

// One entry of a gres string without its "gres:" prefix and "(...)" suffix, split on ':'.
std::vector<std::string> gres_fields(std::string entry) {
    if (entry.rfind("gres:", 0) == 0) entry = entry.substr(5);
    if (const auto paren = entry.find('('); paren != std::string::npos) entry.resize(paren);
    std::vector<std::string> out;
    std::size_t at = 0;
    while (true) {
        const auto colon = entry.find(':', at);
        out.push_back(entry.substr(at, colon - at));
        if (colon == std::string::npos) break;
        at = colon + 1;
    }
    return out;
}

template <typename F>
void each_gpu_entry(const std::string& gres, F f) {
    std::size_t at = 0;
    while (at <= gres.size()) {
        // Commas inside "(IDX:0,2)" do not separate entries.
        std::size_t end = at;
        int depth = 0;
        while (end < gres.size() && (gres[end] != ',' || depth > 0)) {
            depth += gres[end] == '(' ? 1 : gres[end] == ')' ? -1 : 0;
            ++end;
        }
        const auto fields = gres_fields(gres.substr(at, end - at));
        if (!fields.empty() && fields[0] == "gpu") f(fields);
        at = end + 1;
    }
}

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

int gpu_count(const std::string& gres) {
    int total = 0;
    each_gpu_entry(gres, [&](const std::vector<std::string>& f) {
        // gpu:N, gpu:TYPE:N, or gpu / gpu:TYPE meaning one.
        const std::string& last = f.back();
        total += f.size() > 1 && all_digits(last) ? std::stoi(last) : 1;
    });
    return total;
}

std::string gpu_type(const std::string& gres) {
    std::string type;
    each_gpu_entry(gres, [&](const std::vector<std::string>& f) {
        if (type.empty() && f.size() >= 2 && !all_digits(f[1])) type = f[1];
    });
    return type;
}

namespace {

// What grid reads of a job, as the API gives it (v0.0.38: times are unix seconds, limits are
// minutes).
struct JobFields {
    std::optional<std::int64_t> job_id, array_job_id, array_task_id, node_count, submit_time,
        start_time, end_time, time_limit, priority, exit_code;
    std::string array_task_string, name, user_name, partition, job_state, state_reason, nodes,
        tres_per_job, tres_per_node, command, current_working_directory, standard_output;
};

struct FieldRef {
    std::string_view key;
    std::string JobFields::*text = nullptr;
    std::optional<std::int64_t> JobFields::*number = nullptr;
};

// A job has a hundred fields; nested lists and objects (job_resources, flags) are not shown.
const FieldRef k_job_fields[] = {
    {"job_id", nullptr, &JobFields::job_id},
    {"array_job_id", nullptr, &JobFields::array_job_id},
    {"array_task_id", nullptr, &JobFields::array_task_id},
    {"array_task_string", &JobFields::array_task_string},
    {"name", &JobFields::name},
    {"user_name", &JobFields::user_name},
    {"partition", &JobFields::partition},
    {"job_state", &JobFields::job_state},
    {"state_reason", &JobFields::state_reason},
    {"node_count", nullptr, &JobFields::node_count},
    {"nodes", &JobFields::nodes},
    {"tres_per_job", &JobFields::tres_per_job},
    {"tres_per_node", &JobFields::tres_per_node},
    {"submit_time", nullptr, &JobFields::submit_time},
    {"start_time", nullptr, &JobFields::start_time},
    {"end_time", nullptr, &JobFields::end_time},
    {"time_limit", nullptr, &JobFields::time_limit},
    {"priority", nullptr, &JobFields::priority},
    {"exit_code", nullptr, &JobFields::exit_code},
    {"command", &JobFields::command},
    {"current_working_directory", &JobFields::current_working_directory},
    {"standard_output", &JobFields::standard_output},
};

// Asked for each of the hundred keys of every job: the length rules out most entries before
// any byte is compared.
const FieldRef* job_field(std::string_view key) {
    for (const auto& f : k_job_fields)
        if (f.key.size() == key.size() && f.key == key) return &f;
    return nullptr;
}

core::Job make_job(JobFields& f) {
    core::Job job;
    const auto array_id = f.array_job_id.value_or(0);
    if (array_id > 0 && f.array_task_id)
        job.id = std::to_string(array_id) + "_" + std::to_string(*f.array_task_id);
    else if (array_id > 0 && !f.array_task_string.empty())
        job.id = std::to_string(array_id) + "_[" + f.array_task_string + "]";
    else
        job.id = std::to_string(f.job_id.value_or(0));
    job.name = std::move(f.name);
    job.user = std::move(f.user_name);
    job.partition = std::move(f.partition);
    job.state = core::upper(f.job_state);
    job.reason = f.state_reason == "None" ? std::string() : std::move(f.state_reason);
    job.nodes = static_cast<int>(f.node_count.value_or(0));
    job.node_list = std::move(f.nodes);
    // GPUs asked per job, or per node times the nodes (tres_req_str lacks them without
    // accounting storage).
    job.gpus = gpu_count(f.tres_per_job);
    if (job.gpus == 0) job.gpus = gpu_count(f.tres_per_node) * std::max(job.nodes, 1);
    job.submit_time = f.submit_time.value_or(0);
    // A pending job's start and end are the scheduler's estimates, not facts.
    if (job.state != "PENDING") {
        job.start_time = f.start_time.value_or(0);
        job.end_time = f.end_time.value_or(0);
    }
    job.time_limit = limit_seconds(f.time_limit);
    job.priority = f.priority.value_or(0);
    job.exit_code = static_cast<int>(f.exit_code.value_or(0));
    job.command = std::move(f.command);
    job.work_dir = std::move(f.current_working_directory);
    job.stdout_path = std::move(f.standard_output);
    return job;
}

// One job object, already entered, read to its end; the fields grid does not show are passed
// over.
core::Job read_job(JsonCursor& c) {
    JobFields f;
    for (std::string_view key; c.member(key);) {
        const FieldRef* field = job_field(key);
        if (!field) {
            c.skip();
        } else if (field->text) {
            c.string(f.*(field->text));
        } else {
            std::int64_t v = 0;
            if (c.integer(v)) f.*(field->number) = v;
        }
    }
    return make_job(f);
}

}  // namespace

core::Job parse_job(const json& j) {
    JobFields f;
    for (const auto& field : k_job_fields) {
        const auto it = j.find(field.key);
        if (it == j.end()) continue;
        if (field.text && it->is_string())
            f.*(field.text) = it->get<std::string>();
        else if (field.number && it->is_number())
            f.*(field.number) = it->get<std::int64_t>();
    }
    return make_job(f);
}

constexpr std::size_t k_min_job_bytes = 2048;

// Read with a cursor rather than as a document: 5,000 jobs are 15 MB, of which grid keeps a
// few fields each, and building the document (or even handing every token to a SAX handler)
// costs more than slurmrestd's reply takes to arrive.
JobsReply parse_jobs_reply(std::string_view body) {
    JobsReply out;
    // A job takes 2 to 3 KB of the reply: room for all of them at once, in memory made ready in
    // bulk rather than page by page (core/memory.hpp).
    core::prepare_heap(body.size() / 4);
    out.jobs.reserve(body.size() / k_min_job_bytes);
    JsonCursor c(body);
    if (!c.enter_object()) return out;
    for (std::string_view key; c.member(key);) {
        if (key == "jobs" && c.enter_array()) {
            while (c.element())
                if (c.enter_object())
                    out.jobs.push_back(read_job(c));
                else
                    c.skip();
        } else if (key == "errors" && c.enter_array()) {
            while (c.element())
                out.errors.push_back(json::parse(c.skip_raw(), nullptr, false));
        } else {
            c.skip();
        }
    }
    out.valid = c.finish();
    return out;
}

core::Partition parse_partition(const json& j) {
    core::Partition p;
    p.name = str(j, "name");
    if (const auto f = j.find("flags"); f != j.end() && f->is_array())
        p.is_default = std::find(f->begin(), f->end(), "default") != f->end();
    p.state = core::upper(str(j, "state"));
    p.nodes = static_cast<int>(num(j, "total_nodes"));
    p.default_time = minutes(j, "default_time_limit");
    p.max_time = minutes(j, "max_time_limit");
    return p;
}

core::QueueNode parse_node(const json& j) {
    core::QueueNode n;
    n.name = str(j, "name");
    // "idle", "mixed", "allocated", "down", plus flags such as DRAIN in state_flags.
    n.state = core::upper(str(j, "state"));
    if (const auto f = j.find("state_flags"); f != j.end() && f->is_array())
        for (const auto& flag : *f)
            if (flag.is_string() && (flag == "DRAIN" || flag == "DRAINING" || flag == "DRAINED"))
                n.state = "DRAIN";
    if (n.state == "ALLOC") n.state = "ALLOCATED";
    static const char* const known[] = {"IDLE", "ALLOCATED", "MIXED", "DOWN", "DRAIN"};
    if (std::find(std::begin(known), std::end(known), n.state) == std::end(known))
        n.state = n.state == "FUTURE" || n.state == "ERROR" ? "DOWN" : "UNKNOWN";
    if (const auto p = j.find("partitions"); p != j.end() && p->is_array())
        for (const auto& name : *p)
            if (name.is_string()) n.partitions.push_back(name.get<std::string>());
    n.cpus = static_cast<int>(num(j, "cpus"));
    n.cpu_load = static_cast<double>(num(j, "cpu_load")) / 100.0;  // hundredths in the API
    n.memory_mb = num(j, "real_memory");
    n.memory_allocated_mb = num(j, "alloc_memory");
    const std::string gres = str(j, "gres");
    n.gpu_type = gpu_type(gres);
    n.gpus_total = gpu_count(gres);
    n.gpus_allocated = gpu_count(str(j, "gres_used"));
    n.reason = str(j, "reason");
    return n;
}

void count_partition_gpus(std::vector<core::Partition>& partitions,
                          const std::vector<core::QueueNode>& nodes) {
    for (auto& p : partitions)
        for (const auto& n : nodes) {
            if (std::find(n.partitions.begin(), n.partitions.end(), p.name) == n.partitions.end())
                continue;
            p.gpus_total += n.gpus_total;
            const bool usable = n.state == "IDLE" || n.state == "MIXED" || n.state == "ALLOCATED";
            if (usable) p.gpus_available += std::max(0, n.gpus_total - n.gpus_allocated);
            if (p.gpu_type.empty()) p.gpu_type = n.gpu_type;
        }
}

std::vector<core::QueueNode> parse_nodes(const json& doc) {
    std::vector<core::QueueNode> out;
    if (const auto n = doc.find("nodes"); n != doc.end() && n->is_array())
        for (const auto& node : *n)
            out.push_back(parse_node(node));
    return out;
}

}  // namespace backends::slurm
