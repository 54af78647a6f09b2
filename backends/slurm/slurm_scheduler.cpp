#include "backends/slurm/slurm_scheduler.hpp"

#include <cstdlib>
#include <ctime>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "backends/http/http.hpp"
#include "backends/slurm/job_cache.hpp"
#include "backends/slurm/slurm_cli.hpp"
#include "backends/slurm/slurm_json.hpp"
#include "core/errors.hpp"
#include "core/secret.hpp"

namespace backends::slurm {

namespace {

using core::Error;
using core::ErrorKind;
using json = nlohmann::json;

// The OpenAPI versions grid reads, best first: their job, partition and node documents are
// the same for what grid shows. Slurm 22.05 serves v0.0.36 to v0.0.38.
constexpr const char* k_versions[] = {"v0.0.38", "v0.0.37"};

// slurmrestd gave no reply at all: the CLI, where configured, can still answer. (A request
// that may have been acted on throws http::UncertainError instead, and is never sent again.)
class Unreachable : public Error {
  public:
    Unreachable(std::string message, std::string hint)
        : Error(ErrorKind::Provider, std::move(message), std::move(hint)) {}
};

const char* const k_cli_choices =
    "cli = \"local\" (Slurm's commands on this machine) or cli = \"HOST\" (on a login node, "
    "over ssh)";

std::string cli_hint(const std::string& table) {
    return std::string("set ") + k_cli_choices + " in " + table;
}

class RestScheduler final : public core::Scheduler {
  public:
    explicit RestScheduler(const core::SchedulerContext& ctx) {
        const core::Settings& s = ctx.settings;
        m_table = "[" + s.path() + "]";
        m_url = s.string("url").value_or("");
        if (m_url.empty())
            throw Error(ErrorKind::Usage, "no url for the Slurm REST API in " + m_table,
                        "set url = \"http://HOST:6820\" (slurmrestd) there");
        while (!m_url.empty() && m_url.back() == '/')
            m_url.pop_back();
        const char* user = std::getenv("USER");
        m_user = s.string("user").value_or(user ? user : "");
        m_token_cmd = s.string("slurm_token_cmd").value_or("");
        m_token_env = s.string("token_env").value_or("SLURM_JWT");
        // One cache per cluster and user: what a user may see of a queue can differ.
        m_cache_key = m_url + " " + m_user;
        m_cache = ctx.state_dir / "cache" /
                  (std::to_string(std::hash<std::string>{}(m_cache_key)) + ".jobs");
        http::Options& o = m_client.options();
        o.timeout = s.duration("timeout", std::chrono::seconds(30));
        o.connect_timeout = std::min(o.timeout, std::chrono::milliseconds(10'000));
        o.trace = ctx.trace;
        o.user_agent = "grid";
        // slurmrestd's 500s are answers (a bad token, an unknown job), not hiccups; and a
        // queue command should say within seconds that slurmrestd is not there.
        o.retry_500 = false;
        o.max_attempts = 4;
        o.backoff_base = std::chrono::milliseconds(250);
        if (ctx.patience) {
            o.timeout = std::min(o.timeout, *ctx.patience);
            o.connect_timeout = std::min(o.connect_timeout, *ctx.patience);
            o.max_attempts = 1;
        }
    }

    std::vector<core::Job> jobs() override { return list_jobs(true); }

    // `use_kept` false: the full list, whatever is kept.
    std::vector<core::Job> list_jobs(bool use_kept) {
        // An unchanged queue is answered with a 304 and read from the last list kept here. The
        // question needs only the list's time; the list itself (thousands of jobs) is read on
        // another core meanwhile, as libcurl loads and slurmrestd answers.
        const std::int64_t kept_time =  // -1: none kept
            use_kept ? read_job_cache_time(m_cache, m_cache_key).value_or(-1) : -1;
        std::future<std::optional<CachedJobs>> kept;
        if (kept_time >= 0)
            kept = std::async(std::launch::async,
                              [this] { return read_job_cache(m_cache, m_cache_key); });
        const std::int64_t asked_at = std::time(nullptr);
        const std::string path =
            kept_time >= 0 ? "/jobs?update_time=" + std::to_string(kept_time) : "/jobs";
        JobsReply reply;
        int status = 0;
        {
            const http::Response r = send("GET", path, nullptr, "listing jobs");
            status = r.status;
            if (status != 304) reply = parse_jobs_reply(r.body);
        }  // the reply's text goes before the jobs are used
        if (status == 304 && kept_time >= 0) {
            auto cached = kept.get();
            // Another grid may have replaced the file between the two reads: its time must
            // still be the one asked about.
            if (cached && cached->update_time == kept_time) return std::move(cached->jobs);
            return list_jobs(false);
        }
        check(status, reply.valid, reply.errors, "listing jobs");
        // A change in the second the list was asked for may not be in it: ask from before.
        try {
            write_job_cache(m_cache, m_cache_key, asked_at - 1, reply.jobs);
        } catch (const std::exception&) {
            // A cache that cannot be written costs speed only.
        }
        return std::move(reply.jobs);
    }

    core::Job job(const std::string& id) override {
        const json doc = get("/job/" + id, "job " + id);
        const auto j = doc.find("jobs");
        if (j == doc.end() || !j->is_array() || j->empty())
            throw Error(ErrorKind::NotFound, "no job " + id, "list them with: grid queue list");
        return parse_job(j->front());
    }

    std::vector<core::Partition> partitions() override {
        const json doc = get("/partitions", "listing partitions");
        std::vector<core::Partition> out;
        if (const auto p = doc.find("partitions"); p != doc.end() && p->is_array())
            for (const auto& part : *p)
                out.push_back(parse_partition(part));
        count_partition_gpus(out, nodes());
        return out;
    }

    std::vector<core::QueueNode> nodes() override {
        return parse_nodes(get("/nodes", "listing nodes"));
    }

    std::string submit(const core::SubmitRequest& r) override {
        json job{
            {"nodes", json::array({r.nodes, r.nodes})},
            {"environment", r.environment.empty() ? json{{"PATH", "/usr/local/bin:/usr/bin:/bin"}}
                                                  : json(r.environment)},
            {"current_working_directory", r.work_dir.empty() ? "/tmp" : r.work_dir}};
        if (!r.name.empty()) job["name"] = r.name;
        if (!r.partition.empty()) job["partition"] = r.partition;
        if (r.gpus > 0) job["gpus"] = std::to_string(r.gpus);
        // Minutes in the API: a limit is rounded up, never cut.
        if (r.time_limit) job["time_limit"] = (*r.time_limit + 59) / 60;
        if (!r.output.empty()) job["standard_output"] = r.output;
        if (r.hold) job["hold"] = true;
        const json body{{"script", r.script}, {"job", job}};
        const json doc = call("POST", "/job/submit", &body, "submitting", r.hold ? k_held : 0);
        const auto id = doc.find("job_id");
        if (id == doc.end() || !id->is_number())
            throw Error(ErrorKind::Provider, "submitting: slurmrestd gave no job id");
        return std::to_string(id->get<std::int64_t>());
    }

    void cancel(const std::string& id) override {
        call("DELETE", "/job/" + id, nullptr, "cancelling job " + id);
    }

    void update(const std::string& id, const core::JobUpdate& u) override {
        json body = json::object();
        if (u.hold) body["hold"] = *u.hold;
        if (u.priority) body["priority"] = std::to_string(*u.priority);
        if (u.partition) body["partition"] = *u.partition;
        call("POST", "/job/" + id, &body, "updating job " + id);
    }

    // slurmrestd v0.0.38 has no partition endpoints.
    void create_partition(const core::PartitionSpec&) override { no_partition_api(); }
    void delete_partition(const std::string&) override { no_partition_api(); }
    void rename_partition(const std::string&, const std::string&) override { no_partition_api(); }

  private:
    [[noreturn]] void no_partition_api() const {
        throw Error(ErrorKind::Usage,
                    "changing partitions needs Slurm's commands: slurmrestd cannot do it",
                    cli_hint(m_table));
    }

    // "Job is in held state": what slurmrestd adds to a successful held submit.
    static constexpr int k_held = 2042;

    json get(const std::string& path, const std::string& what) {
        return call("GET", path, nullptr, what);
    }

    const std::string& token() {
        if (m_token.empty()) {
            m_token = core::read_secret(
                {"Slurm token", m_table, "slurm_token_cmd", m_token_cmd, m_token_env});
            m_client.options().secrets = {m_token};
        }
        return m_token;
    }

    // `expected`: an error number that comes with success and is not one.
    json call(const std::string& method, const std::string& path, const json* body,
              const std::string& what, int expected = 0) {
        const http::Response r = send(method, path, body, what);
        json doc = json::parse(r.body, nullptr, false);
        const json errors = doc.is_object() ? doc.value("errors", json::array()) : json::array();
        check(r.status, doc.is_object(), errors, what, expected);
        return doc;
    }

    http::Response send(const std::string& method, const std::string& path, const json* body,
                        const std::string& what) {
        http::Request q;
        q.method = method;
        q.url = m_url + "/slurm/" + m_api + path;
        // A repeated submit would queue the job twice; the rest can be sent again.
        q.idempotent = path != "/job/submit";
        q.headers = {{"X-SLURM-USER-NAME", m_user},
                     {"X-SLURM-USER-TOKEN", token()},
                     {"Accept", "application/json"}};
        if (body) {
            q.headers.emplace_back("Content-Type", "application/json");
            q.body = body->dump();
        }
        try {
            http::Response r = m_client.send(q);
            // Not served at this version: take the best one the server offers, once.
            if (r.status == 404 && !m_negotiated) {
                m_negotiated = true;
                if (negotiate()) return send(method, path, body, what);
            }
            return r;
        } catch (const http::UncertainError& e) {
            throw Error(ErrorKind::Provider, what + ": " + e.what(),
                        "see whether it was done before trying again: grid queue list");
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Provider) throw;
            throw Unreachable(what + ": " + e.what(),
                              "is slurmrestd running at " + m_url + "? (url in " + m_table + ")");
        }
    }

    // Reads the versions slurmrestd serves from its OpenAPI document; true when another one
    // that grid reads was picked. Throws when it serves none of them.
    bool negotiate() {
        http::Request q;
        q.method = "GET";
        q.url = m_url + "/openapi/v3";
        q.idempotent = true;
        q.headers = {{"X-SLURM-USER-NAME", m_user}, {"X-SLURM-USER-TOKEN", token()}};
        const http::Response r = m_client.send(q);
        const json doc = json::parse(r.body, nullptr, false);
        std::set<std::string> offered;
        if (doc.is_object() && doc.contains("paths") && doc["paths"].is_object())
            for (const auto& [p, item] : doc["paths"].items())
                if (p.rfind("/slurm/", 0) == 0) offered.insert(p.substr(7, p.find('/', 7) - 7));
        if (offered.empty()) return false;  // not slurmrestd's document: the 404 stands
        for (const char* v : k_versions)
            if (offered.count(v)) {
                if (m_api == v) return false;
                m_api = v;
                return true;
            }
        std::string list;
        for (const auto& v : offered)
            list += (list.empty() ? "" : ", ") + v;
        throw Error(ErrorKind::Provider,
                    "slurmrestd at " + m_url + " serves OpenAPI " + list +
                        "; grid reads v0.0.38 and v0.0.37",
                    "start slurmrestd with -s openapi/v0.0.38 (Slurm 22.05 and 23.02 have it)");
    }

    // What a reply says, as grid's errors: slurmrestd puts them in "errors", mostly with a 500.
    void check(int status, bool valid, const json& errors, const std::string& what,
               int expected = 0) const {
        if (status == 401)
            throw Error(ErrorKind::Auth, "Slurm refused the request: no valid token",
                        where_token_comes_from());
        std::string error, description;
        int number = 0;
        if (errors.is_array() && !errors.empty() && errors.front().is_object()) {
            const json& first = errors.front();
            error = first.value("error", "");
            description = first.value("description", "");
            number =
                first.value("error_number", first.value("errno", first.value("error_code", 0)));
        }
        // slurmrestd 22.05 answers a bad or expired token with a 500 "Unspecified error", -1,
        // whatever was asked (even "Unable to find JobId" for a job that exists).
        if (status == 500 && error == "Unspecified error" && number == -1)
            throw Error(ErrorKind::Auth, "Slurm refused the token (bad or expired)",
                        where_token_comes_from());
        if (number == 2017)
            throw Error(ErrorKind::NotFound, what + ": no such job",
                        "list them with: grid queue list");
        if (number != 0 && number != expected && status >= 200 && status <= 299)
            throw Error(
                ErrorKind::Provider,
                what + ": " + error + (description.empty() ? "" : " (" + description + ")"));
        if (status < 200 || status > 299 || !valid)
            throw Error(ErrorKind::Provider,
                        what + ": slurmrestd answered HTTP " + std::to_string(status) +
                            (error.empty() ? "" : ": " + error) +
                            (description.empty() ? "" : " (" + description + ")"));
    }

    std::string where_token_comes_from() const {
        if (!m_token_cmd.empty()) return "check what slurm_token_cmd in " + m_table + " prints";
        return "check $" + m_token_env +
               " (make one with: scontrol token), or set slurm_token_cmd "
               "in " +
               m_table;
    }

    std::string m_table;
    std::string m_url;
    std::string m_user;
    std::string m_token_cmd;
    std::string m_token_env;
    std::string m_token;
    std::string m_api = k_versions[0];
    bool m_negotiated = false;
    std::string m_cache_key;
    std::filesystem::path m_cache;
    http::Client m_client;
};

// slurmrestd first; Slurm's commands when it gives no reply, and for partitions.
class FallbackScheduler final : public core::Scheduler {
  public:
    FallbackScheduler(std::unique_ptr<core::Scheduler> rest, std::unique_ptr<core::Scheduler> cli,
                      std::function<void(const std::string&)> trace)
        : m_rest(std::move(rest)), m_cli(std::move(cli)), m_trace(std::move(trace)) {}

    std::vector<core::Job> jobs() override {
        return either([](core::Scheduler& s) { return s.jobs(); });
    }
    core::Job job(const std::string& id) override {
        return either([&id](core::Scheduler& s) { return s.job(id); });
    }
    std::vector<core::Partition> partitions() override {
        return either([](core::Scheduler& s) { return s.partitions(); });
    }
    std::vector<core::QueueNode> nodes() override {
        return either([](core::Scheduler& s) { return s.nodes(); });
    }
    std::string submit(const core::SubmitRequest& r) override {
        return either([&r](core::Scheduler& s) { return s.submit(r); });
    }
    void cancel(const std::string& id) override {
        either([&id](core::Scheduler& s) {
            s.cancel(id);
            return 0;
        });
    }
    void update(const std::string& id, const core::JobUpdate& u) override {
        either([&](core::Scheduler& s) {
            s.update(id, u);
            return 0;
        });
    }
    void create_partition(const core::PartitionSpec& spec) override {
        m_cli->create_partition(spec);
    }
    void delete_partition(const std::string& name) override { m_cli->delete_partition(name); }
    void rename_partition(const std::string& from, const std::string& to) override {
        m_cli->rename_partition(from, to);
    }

  private:
    template <typename F>
    std::invoke_result_t<F, core::Scheduler&> either(F f) {
        if (!m_rest_down) {
            try {
                return f(*m_rest);
            } catch (const Unreachable& e) {
                // Once down, down for the rest of this command: no second wait for it.
                m_rest_down = true;
                if (m_trace)
                    m_trace(std::string("slurm: ") + e.what() + "; using Slurm's commands");
            }
        }
        return f(*m_cli);
    }

    std::unique_ptr<core::Scheduler> m_rest, m_cli;
    std::function<void(const std::string&)> m_trace;
    bool m_rest_down = false;
};

}  // namespace

std::unique_ptr<core::Scheduler> make_scheduler(const core::SchedulerContext& context) {
    const core::Settings& s = context.settings;
    const std::string table = "[" + s.path() + "]";
    // A cluster grid made: its head node, over ssh with the cluster's own files.
    const auto command_timeout =
        std::min(context.patience.value_or(CommandHost{}.timeout), CommandHost{}.timeout);
    if (!context.head_node_ssh.empty())
        return make_cli_scheduler(
            {context.head_node_ssh, context.head_node_name,
             "the cluster's nodes (grid cluster info)", command_timeout,
             "the cluster was made without Slurm (grid cluster create said why): make a new one "
             "where Slurm's packages are installed"},
            context.trace);
    const auto cli = s.string("cli");
    const bool rest = s.string("url").has_value();
    if (!rest && !cli)
        throw Error(ErrorKind::Usage, "no way to reach Slurm in " + table,
                    "set url = \"http://HOST:6820\" (slurmrestd), or " +
                        std::string(k_cli_choices) + ", in " + table);
    std::unique_ptr<core::Scheduler> commands;
    if (cli) {
        CommandHost host;
        host.settings_hint = "cli in " + table;
        host.timeout = command_timeout;
        host.no_slurm_hint =
            "point cli in " + table + " at a login node of the cluster, or set SLURM_CONF there";
        if (*cli == "local") {
            host.name = "this machine";
        } else {
            if (cli->empty() || cli->front() == '-')
                throw Error(ErrorKind::Usage, "bad cli = \"" + *cli + "\" in " + table,
                            "use \"local\", or a host that ssh can reach: \"login1\", "
                            "\"me@login1\"");
            host.name = *cli;
            host.ssh = {"ssh",           "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o",
                        "LogLevel=ERROR"};
            if (const auto file = s.string("ssh_config")) {
                host.ssh.push_back("-F");
                host.ssh.push_back(*file);
            }
            host.ssh.push_back("--");
            host.ssh.push_back(*cli);
        }
        commands = make_cli_scheduler(std::move(host), context.trace);
    }
    if (!rest) return commands;
    auto api = std::make_unique<RestScheduler>(context);
    if (!commands) return api;
    return std::make_unique<FallbackScheduler>(std::move(api), std::move(commands), context.trace);
}

}  // namespace backends::slurm
