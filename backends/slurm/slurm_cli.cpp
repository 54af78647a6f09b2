#include "backends/slurm/slurm_cli.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/slurm/slurm_json.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/process.hpp"
#include "core/text.hpp"

namespace backends::slurm {

using core::Error;
using core::ErrorKind;
using json = nlohmann::json;

std::map<std::string, std::string> parse_scontrol_line(const std::string& line) {
    std::map<std::string, std::string> out;
    // Keys start a word and are followed by '='; find each one, the value runs to the next.
    std::vector<std::pair<std::size_t, std::size_t>> keys;  // (start, '=' position)
    std::size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && line[at] == ' ')
            ++at;
        std::size_t end = at;
        while (end < line.size() && line[end] != ' ' && line[end] != '=')
            ++end;
        if (end < line.size() && line[end] == '=' && end > at) keys.emplace_back(at, end);
        at = line.find(' ', end);
        if (at == std::string::npos) break;
    }
    for (std::size_t k = 0; k < keys.size(); ++k) {
        const auto [start, eq] = keys[k];
        const std::size_t stop = k + 1 < keys.size() ? keys[k + 1].first : line.size();
        out[line.substr(start, eq - start)] = core::trim(line.substr(eq + 1, stop - eq - 1));
    }
    return out;
}

std::optional<std::int64_t> parse_slurm_time(const std::string& text) {
    const std::string t = core::upper(core::trim(text));
    if (t.empty() || t == "UNLIMITED" || t == "INFINITE" || t == "NONE" || t == "N/A")
        return std::nullopt;
    std::int64_t days = 0;
    std::string rest = t;
    const auto dash = t.find('-');
    std::vector<std::int64_t> parts;
    try {
        if (dash != std::string::npos) {
            days = std::stoll(t.substr(0, dash));
            rest = t.substr(dash + 1);
        }
        std::size_t at = 0;
        while (true) {
            const auto colon = rest.find(':', at);
            const std::string part = rest.substr(at, colon - at);
            if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
                return std::nullopt;
            parts.push_back(std::stoll(part));
            if (colon == std::string::npos) break;
            at = colon + 1;
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (parts.size() > 3) return std::nullopt;
    std::int64_t seconds = 0;
    if (dash != std::string::npos) {
        // days-hours, days-hours:minutes, days-hours:minutes:seconds
        const std::int64_t unit[] = {3600, 60, 1};
        for (std::size_t i = 0; i < parts.size(); ++i)
            seconds += parts[i] * unit[i];
    } else if (parts.size() == 1) {
        seconds = parts[0] * 60;  // minutes
    } else if (parts.size() == 2) {
        seconds = parts[0] * 60 + parts[1];  // minutes:seconds
    } else {
        seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
    }
    return days * 86400 + seconds;
}

core::Partition partition_from_scontrol(const std::map<std::string, std::string>& f) {
    const auto get = [&f](const char* key) {
        const auto it = f.find(key);
        return it == f.end() ? std::string() : it->second;
    };
    core::Partition p;
    p.name = get("PartitionName");
    p.is_default = get("Default") == "YES";
    p.state = core::upper(get("State"));
    try {
        p.nodes = std::stoi(get("TotalNodes"));
    } catch (const std::exception&) {
        p.nodes = 0;
    }
    p.default_time = parse_slurm_time(get("DefaultTime"));
    p.max_time = parse_slurm_time(get("MaxTime"));
    return p;
}

namespace {

// What `scontrol create` takes back from `scontrol show partition`: the rest is computed
// (TotalCPUs, TRES) or read-only.
const std::set<std::string> k_partition_settings = {"AllowGroups",
                                                    "AllowAccounts",
                                                    "AllowQos",
                                                    "AllocNodes",
                                                    "DenyAccounts",
                                                    "DenyQos",
                                                    "QoS",
                                                    "DefaultTime",
                                                    "DisableRootJobs",
                                                    "ExclusiveUser",
                                                    "GraceTime",
                                                    "Hidden",
                                                    "MaxNodes",
                                                    "MaxTime",
                                                    "MinNodes",
                                                    "LLN",
                                                    "MaxCPUsPerNode",
                                                    "Nodes",
                                                    "PriorityJobFactor",
                                                    "PriorityTier",
                                                    "RootOnly",
                                                    "ReqResv",
                                                    "OverSubscribe",
                                                    "OverTimeLimit",
                                                    "PreemptMode",
                                                    "State",
                                                    "DefMemPerCPU",
                                                    "DefMemPerNode",
                                                    "MaxMemPerCPU",
                                                    "MaxMemPerNode"};

// How scontrol shows a setting that was never set; create refuses some of these words.
bool unset_word(const std::string& key, const std::string& value) {
    if (value.empty() || value == "N/A" || value == "(null)") return true;
    if (key.find("Mem") != std::string::npos && value == "UNLIMITED") return true;
    return (key == "OverTimeLimit" || key == "DefaultTime") && value == "NONE";
}

std::string minutes_word(std::int64_t seconds) {
    return std::to_string((seconds + 59) / 60);  // a limit is rounded up, never cut
}

class CliScheduler final : public core::Scheduler {
  public:
    CliScheduler(CommandHost host, std::function<void(const std::string&)> trace)
        : m_host(std::move(host)), m_trace(std::move(trace)) {}

    std::vector<core::Job> jobs() override {
        JobsReply reply = parse_jobs_reply(json_command({"squeue", "--json"}, "listing jobs"));
        check_reply(reply.valid, reply.errors, "squeue", "listing jobs");
        return std::move(reply.jobs);
    }

    core::Job job(const std::string& id) override {
        JobsReply reply =
            parse_jobs_reply(json_command({"squeue", "--json", "--jobs=" + id}, "job " + id));
        check_reply(reply.valid, reply.errors, "squeue", "job " + id);
        for (auto& j : reply.jobs)
            if (j.id == id) return std::move(j);
        throw Error(ErrorKind::NotFound, "no job " + id, "list them with: grid queue list");
    }

    std::vector<core::Partition> partitions() override {
        const auto r =
            command({"scontrol", "show", "partition", "--oneliner"}, "listing partitions");
        std::vector<core::Partition> out;
        std::size_t at = 0;
        while (at < r.out.size()) {
            auto end = r.out.find('\n', at);
            if (end == std::string::npos) end = r.out.size();
            const std::string line = r.out.substr(at, end - at);
            at = end + 1;
            const auto fields = parse_scontrol_line(line);
            if (fields.count("PartitionName")) out.push_back(partition_from_scontrol(fields));
        }
        count_partition_gpus(out, nodes());
        return out;
    }

    std::vector<core::QueueNode> nodes() override {
        const json doc =
            json::parse(json_command({"sinfo", "--json"}, "listing nodes"), nullptr, false);
        check_reply(doc.is_object(), doc.is_object() ? doc.value("errors", json::array()) : json(),
                    "sinfo", "listing nodes");
        return parse_nodes(doc);
    }

    std::string submit(const core::SubmitRequest& r) override {
        std::vector<std::string> argv{"sbatch", "--parsable", "--nodes=" + std::to_string(r.nodes)};
        if (!r.name.empty()) argv.push_back("--job-name=" + r.name);
        if (!r.partition.empty()) argv.push_back("--partition=" + r.partition);
        if (r.gpus > 0) argv.push_back("--gpus=" + std::to_string(r.gpus));
        if (r.time_limit) argv.push_back("--time=" + minutes_word(*r.time_limit));
        if (r.hold) argv.push_back("--hold");
        // On a login node reached over ssh this machine's directories mean nothing: the job
        // starts in the user's home there, as a job submitted from a fresh login would.
        if (m_host.ssh.empty()) {
            if (!r.work_dir.empty()) argv.push_back("--chdir=" + r.work_dir);
            if (!r.output.empty()) argv.push_back("--output=" + r.output);
        }
        if (!r.environment.empty()) {
            std::string list;
            for (const auto& [k, v] : r.environment) {
                // --export splits on commas: such a value cannot be passed this way.
                if (v.find(',') != std::string::npos) continue;
                list += (list.empty() ? "" : ",") + k + "=" + v;
            }
            argv.push_back("--export=" + (list.empty() ? std::string("NONE") : list));
        }
        const auto res = command(argv, "submitting", r.script);
        // "123" or "123;cluster"
        const std::string id = core::trim(res.out.substr(0, res.out.find(';')));
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
            throw Error(ErrorKind::Provider, "submitting: sbatch printed no job id",
                        "run it by hand on " + m_host.name + " to see why");
        return id;
    }

    void cancel(const std::string& id) override {
        // scancel exits 0 even for a job it does not know; --verbose makes it say so.
        const auto r = command({"scancel", "--verbose", id}, "cancelling job " + id);
        if (r.err.find("error:") != std::string::npos) fail(r, "cancelling job " + id);
    }

    void update(const std::string& id, const core::JobUpdate& u) override {
        if (u.hold) command({"scontrol", *u.hold ? "hold" : "release", id}, "updating job " + id);
        std::vector<std::string> argv{"scontrol", "update", "JobId=" + id};
        if (u.priority) argv.push_back("Priority=" + std::to_string(*u.priority));
        if (u.partition) argv.push_back("Partition=" + *u.partition);
        if (argv.size() > 3) command(argv, "updating job " + id);
    }

    void create_partition(const core::PartitionSpec& spec) override {
        check_partition_name(spec.name);
        if (find_partition(spec.name))
            throw Error(ErrorKind::InvalidState, "partition " + spec.name + " exists",
                        "list them with: grid queue partitions");
        std::vector<std::string> argv{"scontrol", "create", "PartitionName=" + spec.name,
                                      "Nodes=" + (spec.nodes.empty() ? "ALL" : spec.nodes),
                                      "State=UP"};
        if (spec.is_default) argv.push_back("Default=YES");
        if (spec.default_time) argv.push_back("DefaultTime=" + minutes_word(*spec.default_time));
        argv.push_back("MaxTime=" + (spec.max_time ? minutes_word(*spec.max_time) : "UNLIMITED"));
        command(argv, "creating partition " + spec.name);
    }

    void delete_partition(const std::string& name) override {
        if (!find_partition(name))
            throw Error(ErrorKind::NotFound, "no partition " + name,
                        "list them with: grid queue partitions");
        check_no_jobs(jobs(), name, true);
        command({"scontrol", "delete", "PartitionName=" + name}, "deleting partition " + name);
    }

    void rename_partition(const std::string& from, const std::string& to) override {
        check_partition_name(to);
        const auto old = find_partition(from);
        if (!old)
            throw Error(ErrorKind::NotFound, "no partition " + from,
                        "list them with: grid queue partitions");
        if (find_partition(to))
            throw Error(ErrorKind::InvalidState, "partition " + to + " exists",
                        "pick another name, or delete it first: grid queue delete " + to);
        // One look at the queue: a job queued into `from` after it stays there, and the
        // delete below then refuses, which undoes the rename.
        const auto queue = jobs();
        check_no_jobs(queue, from, false);
        // Slurm cannot rename: the new partition is made with the old one's settings, the
        // pending jobs move over, then the old one goes. A failure undoes what was done.
        std::vector<std::string> create{"scontrol", "create", "PartitionName=" + to};
        for (const auto& [k, v] : *old)
            if (k_partition_settings.count(k) && !unset_word(k, v)) create.push_back(k + "=" + v);
        create.push_back("Default=NO");  // two defaults cannot be: it takes the role at the end
        command(create, "renaming partition " + from);
        std::vector<std::string> moved;
        try {
            for (const auto& j : queue)
                if (j.partition == from &&
                    core::job_category(j.state) == core::JobCategory::Pending) {
                    update(j.id, core::JobUpdate{std::nullopt, std::nullopt, to});
                    moved.push_back(j.id);
                }
            command({"scontrol", "delete", "PartitionName=" + from}, "renaming partition " + from);
        } catch (const Error&) {
            for (const auto& id : moved)
                try_command({"scontrol", "update", "JobId=" + id, "Partition=" + from});
            try_command({"scontrol", "delete", "PartitionName=" + to});
            throw;
        }
        if (old->count("Default") && old->at("Default") == "YES")
            command({"scontrol", "update", "PartitionName=" + to, "Default=YES"},
                    "renaming partition " + from);
    }

  private:
    void trace(const std::string& line) const {
        if (m_trace) m_trace(line);
    }

    std::vector<std::string> full_argv(const std::vector<std::string>& argv) const {
        if (m_host.ssh.empty()) return argv;
        // ssh hands one command line to the login shell there: each word is quoted for it.
        std::string line;
        for (const auto& a : argv)
            line += (line.empty() ? "" : " ") + core::shell_quote(a);
        std::vector<std::string> out = m_host.ssh;
        out.push_back(line);
        return out;
    }

    core::RunResult run(const std::vector<std::string>& argv, const std::string& input = {}) const {
        std::string shown;
        for (const auto& a : argv)
            shown += (shown.empty() ? "" : " ") + a;
        trace("slurm: " + shown + (m_host.ssh.empty() ? "" : " (on " + m_host.name + ")"));
        core::RunOptions o;
        o.input = input;
        o.timeout = m_host.timeout;
        const auto start = std::chrono::steady_clock::now();
        core::RunResult r;
        try {
            r = core::run(full_argv(argv), o);
        } catch (const Error&) {
            if (!m_host.ssh.empty())
                throw Error(ErrorKind::Provider, "ssh is not installed on this machine",
                            "install it: apt-get install openssh-client");
            throw Error(ErrorKind::Provider, argv.front() + " is not installed on this machine",
                        "install Slurm's commands (apt-get install slurm-client), or change " +
                            m_host.settings_hint);
        }
        trace("slurm: exit " + std::to_string(r.exit_code) + " after " +
              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count()) +
              " ms");
        if (r.timed_out)
            throw Error(ErrorKind::Timeout,
                        argv.front() + " on " + m_host.name + " did not answer in " +
                            core::format_duration(
                                std::chrono::duration_cast<std::chrono::seconds>(m_host.timeout)),
                        "is slurmctld up there? (scontrol ping)");
        if (!m_host.ssh.empty() && r.exit_code == 255)
            throw Error(ErrorKind::Provider,
                        "cannot reach " + m_host.name + " over ssh: " + core::last_line(r.err),
                        "check " + m_host.settings_hint);
        if (r.exit_code == 127)
            throw Error(ErrorKind::Provider, argv.front() + " is not installed on " + m_host.name,
                        "install Slurm's commands there (apt-get install slurm-client)");
        // The commands are there but no slurm.conf is: no Slurm cluster to ask.
        if (r.exit_code != 0 &&
            r.err.find("Could not establish a configuration source") != std::string::npos)
            throw Error(ErrorKind::Provider,
                        m_host.name + " runs no Slurm: " + argv.front() + " finds no slurm.conf",
                        m_host.no_slurm_hint);
        return r;
    }

    // Runs it and fails with Slurm's words when it exits non-zero.
    core::RunResult command(const std::vector<std::string>& argv, const std::string& what,
                            const std::string& input = {}) const {
        auto r = run(argv, input);
        if (r.exit_code != 0) fail(r, what);
        return r;
    }

    bool try_command(const std::vector<std::string>& argv) const {
        try {
            return run(argv).exit_code == 0;
        } catch (const Error&) {
            return false;
        }
    }

    // squeue and sinfo with --json, which Slurm has since 21.08.
    std::string json_command(const std::vector<std::string>& argv, const std::string& what) {
        auto r = run(argv);
        if (r.exit_code != 0) {
            if (r.err.find("--json") != std::string::npos &&
                (r.err.find("unrecognized") != std::string::npos ||
                 r.err.find("invalid option") != std::string::npos)) {
                const auto v = run({argv.front(), "--version"});
                const std::string version = core::trim(v.out.empty() ? v.err : v.out);
                throw Error(ErrorKind::Provider,
                            "Slurm on " + m_host.name + " is too old for --json (" + argv.front() +
                                " says: " + (version.empty() ? "no version" : version) +
                                "; --json needs Slurm 21.08 or later)",
                            "upgrade Slurm there, or reach it through slurmrestd: set url in the "
                            "profile");
            }
            fail(r, what);
        }
        return std::move(r.out);
    }

    [[noreturn]] void fail(const core::RunResult& r, const std::string& what) const {
        // Slurm's commands say "cmd: error: ..." or just the reason; the last line is the gist.
        std::string reason = core::last_line(r.err.empty() ? r.out : r.err);
        for (const char* prefix : {"scontrol: error: ", "sbatch: error: ", "scancel: error: ",
                                   "squeue: error: ", "sinfo: error: ", "error: "})
            if (reason.rfind(prefix, 0) == 0) reason = reason.substr(std::string(prefix).size());
        if (r.err.find("Invalid job id") != std::string::npos)
            throw Error(ErrorKind::NotFound, what + ": no such job",
                        "list them with: grid queue list");
        if (r.err.find("Invalid partition name") != std::string::npos)
            throw Error(ErrorKind::NotFound, what + ": no such partition",
                        "list them with: grid queue partitions");
        throw Error(
            ErrorKind::Provider,
            what + ": " + (reason.empty() ? "exit " + std::to_string(r.exit_code) : reason));
    }

    void check_reply(bool valid, const json& errors, const std::string& program,
                     const std::string& what) const {
        if (!valid)
            throw Error(ErrorKind::Provider, what + ": " + program + " printed no JSON document",
                        "run " + program + " --json on " + m_host.name + " to see what it says");
        if (errors.is_array() && !errors.empty() && errors.front().is_object())
            throw Error(ErrorKind::Provider,
                        what + ": " + errors.front().value("error", std::string("error")));
    }

    // The partition's settings as scontrol shows them; none when there is no such partition.
    std::optional<std::map<std::string, std::string>> find_partition(const std::string& name) {
        const auto r = run({"scontrol", "show", "partition", name, "--oneliner"});
        if (r.exit_code != 0) {
            // "Partition NAME not found", on stdout.
            const std::string said = r.out + r.err;
            if (said.find("not found") != std::string::npos ||
                said.find("Invalid partition") != std::string::npos)
                return std::nullopt;
            fail(r, "reading partition " + name);
        }
        auto fields = parse_scontrol_line(core::trim(r.out));
        if (!fields.count("PartitionName") || fields.at("PartitionName") != name)
            return std::nullopt;
        return fields;
    }

    // Jobs that keep a partition in use: pending and running ones (`pending_too` false: only
    // the ones that cannot move with it).
    static void check_no_jobs(const std::vector<core::Job>& queue, const std::string& partition,
                              bool pending_too) {
        std::size_t count = 0;
        for (const auto& j : queue) {
            if (j.partition != partition) continue;
            const auto c = core::job_category(j.state);
            if (c == core::JobCategory::Running || (pending_too && c == core::JobCategory::Pending))
                ++count;
        }
        if (count == 0) return;
        if (pending_too)
            throw Error(ErrorKind::InvalidState,
                        "partition " + partition + " has " + std::to_string(count) + " job" +
                            (count == 1 ? "" : "s") + " pending or running",
                        "cancel them first (grid queue clear " + partition +
                            " for the pending ones), or move them: grid queue move");
        throw Error(ErrorKind::InvalidState,
                    "partition " + partition + " has " + std::to_string(count) + " running job" +
                        (count == 1 ? "" : "s") + "; only pending jobs can move to a new name",
                    "wait for them to end, or cancel them: grid queue cancel");
    }

    static void check_partition_name(const std::string& name) {
        const bool ok =
            !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                       c == '.';
            });
        if (!ok)
            throw Error(ErrorKind::Usage, "bad partition name '" + name + "'",
                        "use letters, digits, '_', '-' and '.' (at most 64)");
    }

    CommandHost m_host;
    std::function<void(const std::string&)> m_trace;
};

}  // namespace

std::unique_ptr<core::Scheduler> make_cli_scheduler(CommandHost host,
                                                    std::function<void(const std::string&)> trace) {
    return std::make_unique<CliScheduler>(std::move(host), std::move(trace));
}

}  // namespace backends::slurm
