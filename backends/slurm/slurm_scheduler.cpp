#include "backends/slurm/slurm_scheduler.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "backends/http/http.hpp"
#include "backends/slurm/slurm_json.hpp"
#include "core/errors.hpp"
#include "core/secret.hpp"

namespace backends::slurm {

namespace {

using core::Error;
using core::ErrorKind;
using json = nlohmann::json;

constexpr const char* k_api = "v0.0.38";

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
    }

    std::vector<core::Job> jobs() override {
        const json doc = get("/jobs", "listing jobs");
        std::vector<core::Job> out;
        if (const auto j = doc.find("jobs"); j != doc.end() && j->is_array()) {
            out.reserve(j->size());
            for (const auto& job : *j)
                out.push_back(parse_job(job));
        }
        return out;
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
        const json doc = get("/nodes", "listing nodes");
        std::vector<core::QueueNode> out;
        if (const auto n = doc.find("nodes"); n != doc.end() && n->is_array())
            for (const auto& node : *n)
                out.push_back(parse_node(node));
        return out;
    }

  private:
    const std::string& token() {
        if (m_token.empty()) {
            m_token = core::read_secret(
                {"Slurm token", m_table, "slurm_token_cmd", m_token_cmd, m_token_env});
            m_client.options().secrets = {m_token};
        }
        return m_token;
    }

    json get(const std::string& path, const std::string& what) {
        http::Request q;
        q.method = "GET";
        q.url = m_url + "/slurm/" + k_api + path;
        q.idempotent = true;
        q.headers = {{"X-SLURM-USER-NAME", m_user},
                     {"X-SLURM-USER-TOKEN", token()},
                     {"Accept", "application/json"}};
        http::Response r;
        try {
            r = m_client.send(q);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Provider) throw;
            throw Error(ErrorKind::Provider, what + ": " + e.what(),
                        "is slurmrestd running at " + m_url + "? (url in " + m_table + ")");
        }
        json doc = json::parse(r.body, nullptr, false);
        if (r.status == 401)
            throw Error(ErrorKind::Auth, "Slurm refused the request: no valid token",
                        where_token_comes_from());
        std::string error, description;
        int number = 0;
        if (doc.is_object())
            if (const auto e = doc.find("errors"); e != doc.end() && e->is_array() && !e->empty()) {
                const json& first = e->front();
                error = first.value("error", "");
                description = first.value("description", "");
                number =
                    first.value("error_number", first.value("errno", first.value("error_code", 0)));
            }
        // slurmrestd 22.05 answers a bad or expired token with a 500 "Unspecified error", -1,
        // whatever was asked (even "Unable to find JobId" for a job that exists).
        if (r.status == 500 && error == "Unspecified error" && number == -1)
            throw Error(ErrorKind::Auth, "Slurm refused the token (bad or expired)",
                        where_token_comes_from());
        if (number == 2017)
            throw Error(ErrorKind::NotFound, what + ": no such job",
                        "list them with: grid queue list");
        if (r.status < 200 || r.status > 299 || !doc.is_object())
            throw Error(ErrorKind::Provider,
                        what + ": slurmrestd answered HTTP " + std::to_string(r.status) +
                            (error.empty() ? "" : ": " + error) +
                            (description.empty() ? "" : " (" + description + ")"));
        return doc;
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
    http::Client m_client;
};

}  // namespace

std::unique_ptr<core::Scheduler> make_scheduler(const core::SchedulerContext& context) {
    return std::make_unique<RestScheduler>(context);
}

}  // namespace backends::slurm
