#include "backends/slurm/slurm_json.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

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

// Minutes in the API; null, absent or negative is "unlimited" (INFINITE).
std::optional<std::int64_t> minutes(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    const auto m = it->get<std::int64_t>();
    if (m < 0 || m >= 0xFFFFFFFELL) return std::nullopt;
    return m * 60;
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

core::Job parse_job(const json& j) {
    core::Job job;
    const auto id = num(j, "job_id");
    const auto array_id = num(j, "array_job_id");
    const auto task = j.find("array_task_id");
    if (array_id > 0 && task != j.end() && task->is_number())
        job.id = std::to_string(array_id) + "_" + std::to_string(task->get<std::int64_t>());
    else if (array_id > 0 && !str(j, "array_task_string").empty())
        job.id = std::to_string(array_id) + "_[" + str(j, "array_task_string") + "]";
    else
        job.id = std::to_string(id);
    job.name = str(j, "name");
    job.user = str(j, "user_name");
    job.partition = str(j, "partition");
    job.state = core::upper(str(j, "job_state"));
    job.reason = str(j, "state_reason");
    if (job.reason == "None") job.reason.clear();
    job.nodes = static_cast<int>(num(j, "node_count"));
    job.node_list = str(j, "nodes");
    // GPUs asked per job, or per node times the nodes (tres_req_str lacks them without
    // accounting storage).
    job.gpus = gpu_count(str(j, "tres_per_job"));
    if (job.gpus == 0) job.gpus = gpu_count(str(j, "tres_per_node")) * std::max(job.nodes, 1);
    job.submit_time = num(j, "submit_time");
    job.start_time = num(j, "start_time");
    job.end_time = num(j, "end_time");
    // A pending job's start and end are the scheduler's estimates, not facts.
    if (job.state == "PENDING") job.start_time = job.end_time = 0;
    job.time_limit = minutes(j, "time_limit");
    job.priority = num(j, "priority");
    job.exit_code = static_cast<int>(num(j, "exit_code"));
    job.command = str(j, "command");
    job.work_dir = str(j, "current_working_directory");
    job.stdout_path = str(j, "standard_output");
    return job;
}

namespace {

// Builds one small object per job (its scalar fields) and hands it to parse_job, so that memory
// holds one job's fields at a time instead of the whole document.
class JobsHandler : public nlohmann::json_sax<json> {
  public:
    explicit JobsHandler(JobsReply& out) : m_out(out) {}

    bool null() override { return value(nullptr); }
    bool boolean(bool v) override { return value(v); }
    bool number_integer(number_integer_t v) override { return value(v); }
    bool number_unsigned(number_unsigned_t v) override { return value(v); }
    bool number_float(number_float_t v, const string_t&) override { return value(v); }
    bool string(string_t& v) override { return value(std::move(v)); }
    bool binary(binary_t&) override { return true; }
    bool key(string_t& k) override {
        if (m_depth == 1) m_section = k;
        m_key = std::move(k);
        return true;
    }
    bool start_object(std::size_t) override {
        ++m_depth;
        if (m_depth == 1) m_out.valid = true;
        if (m_depth == 3 && in_record()) m_record = json::object();
        return true;
    }
    bool end_object() override {
        if (m_depth == 3 && in_record()) {
            if (m_section == "jobs")
                m_out.jobs.push_back(parse_job(m_record));
            else
                m_out.errors.push_back(std::move(m_record));
        }
        --m_depth;
        return true;
    }
    bool start_array(std::size_t) override {
        ++m_depth;
        return true;
    }
    bool end_array() override {
        --m_depth;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        m_out.valid = false;
        return false;
    }

  private:
    bool in_record() const { return m_section == "jobs" || m_section == "errors"; }

    template <typename T>
    bool value(T&& v) {
        // Only a record's own scalars that grid reads: a job has a hundred fields, and nested
        // lists and objects (job_resources, flags) are not shown.
        if (m_depth == 3 && in_record() && (m_section == "errors" || wanted(m_key)))
            m_record[m_key] = std::forward<T>(v);
        return true;
    }

    // The fields parse_job reads; asked for every key of every job, so a hash set.
    static bool wanted(const std::string& key) {
        static const std::unordered_set<std::string> k_fields = {"job_id",
                                                                 "array_job_id",
                                                                 "array_task_id",
                                                                 "array_task_string",
                                                                 "name",
                                                                 "user_name",
                                                                 "partition",
                                                                 "job_state",
                                                                 "state_reason",
                                                                 "node_count",
                                                                 "nodes",
                                                                 "tres_per_job",
                                                                 "tres_per_node",
                                                                 "submit_time",
                                                                 "start_time",
                                                                 "end_time",
                                                                 "time_limit",
                                                                 "priority",
                                                                 "exit_code",
                                                                 "command",
                                                                 "current_working_directory",
                                                                 "standard_output"};
        return k_fields.count(key) != 0;
    }

    JobsReply& m_out;
    int m_depth = 0;
    std::string m_section;
    std::string m_key;
    json m_record;
};

}  // namespace

JobsReply parse_jobs_reply(const std::string& body) {
    JobsReply out;
    JobsHandler handler(out);
    if (!json::sax_parse(body.data(), body.data() + body.size(), &handler)) out.valid = false;
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
