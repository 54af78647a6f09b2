// The queue commands against a real Slurm (the ctest fixture `slurm`), with Slurm's own squeue
// as the oracle, and slurmrestd's replies read by backends/slurm.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "backends/slurm/job_cache.hpp"
#include "backends/slurm/slurm_cli.hpp"
#include "backends/slurm/slurm_json.hpp"
#include "core/files.hpp"
#include "tests/support/slurm.hpp"
#include "tests/support/support.hpp"
#include "tests/support/terminal.hpp"

using json = nlohmann::json;

namespace {

json sample(const std::string& name) {
    std::ifstream in(std::string(GRID_SOURCE_DIR) + "/tests/data/slurm/" + name);
    REQUIRE(in);
    return json::parse(in);
}

// A grid whose profile "hpc" is the test cluster's slurmrestd.
struct World {
    test::Slurm slurm;
    test::Grid grid;
    std::string prefix = "grid-test-" + std::to_string(::getpid());
    std::vector<std::string> submitted;

    World() {
        grid.add_env("GRID_TEST_SLURM_TOKEN=" + slurm.token());
        grid.add_env("SLURM_CONF=" + slurm.conf());
        grid.write_config("[profiles.hpc]\nscheduler = \"slurm\"\nurl = \"" + slurm.url() +
                          "\"\nuser = \"root\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\n"
                          "[profiles.cmd]\nscheduler = \"slurm\"\ncli = \"local\"\n");
    }
    ~World() {
        if (submitted.empty()) return;
        std::vector<std::string> argv{"scancel"};
        argv.insert(argv.end(), submitted.begin(), submitted.end());
        slurm.run(argv);
    }

    std::string submit(const std::string& name, std::vector<std::string> args) {
        args.insert(args.begin(), {"-J", prefix + "-" + name});
        submitted.push_back(slurm.submit(args));
        return submitted.back();
    }

    std::vector<std::string> hpc(std::vector<std::string> args) const {
        args.insert(args.end(), {"--profile", "hpc"});
        return args;
    }

    // The same through Slurm's commands on this machine.
    std::vector<std::string> cmd(std::vector<std::string> args) const {
        args.insert(args.end(), {"--profile", "cmd"});
        return args;
    }

    std::map<std::string, json> listed(std::vector<std::string> args = {},
                                       const std::string& profile = "hpc") const {
        std::vector<std::string> argv{"queue", "list", "-o", "json", "--profile", profile};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto doc = grid.ok(argv).json();
        std::map<std::string, json> out;
        for (const auto& j : doc.at("jobs"))
            out[j.at("id").get<std::string>()] = j;
        return out;
    }
};

}  // namespace

TEST_CASE("slurm: GPUs are counted from gres strings", "[slurm]") {
    using backends::slurm::gpu_count;
    using backends::slurm::gpu_type;
    CHECK(gpu_count("gres:gpu:2") == 2);
    CHECK(gpu_count("gres:gpu:h100:8") == 8);
    CHECK(gpu_count("gpu:h100:8(IDX:0-7)") == 8);
    CHECK(gpu_count("gpu:h100:0(IDX:N/A)") == 0);
    CHECK(gpu_count("gres:shard:4,gres:gpu:a100:1") == 1);
    CHECK(gpu_count("gpu:h100:2(IDX:0,2),gpu:a100:1(IDX:0)") == 3);
    CHECK(gpu_count("") == 0);
    CHECK(gpu_count("gres:gpu") == 1);
    CHECK(gpu_type("gpu:h100:8(S:0)") == "h100");
    CHECK(gpu_type("gres:gpu:2").empty());
}

TEST_CASE("slurm: the job cache keeps every field / refuses what is not its own", "[slurm]") {
    test::TempDir dir;
    const auto file = dir / "c" / "jobs";
    core::Job a;
    a.id = "12_3";
    a.name = "odd\tname\nwith \\ marks";
    a.user = "alice";
    a.partition = "gpu";
    a.state = "PENDING";
    a.nodes = 2;
    a.gpus = 16;
    a.submit_time = 1795369562;
    a.priority = 4294901759;
    a.time_limit = 3600;
    core::Job b;
    b.id = "13";
    b.exit_code = 1;  // no time limit: unlimited
    backends::slurm::write_job_cache(file, "http://head:6820 alice", 1795369600, {a, b});
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    const auto c = backends::slurm::read_job_cache(file, "http://head:6820 alice");
    REQUIRE(c);
    CHECK(c->update_time == 1795369600);
    // The time alone, as asked before the rest is read.
    CHECK(backends::slurm::read_job_cache_time(file, "http://head:6820 alice") == 1795369600);
    CHECK_FALSE(backends::slurm::read_job_cache_time(file, "http://head:6820 bob"));
    REQUIRE(c->jobs.size() == 2);
    CHECK(c->jobs[0].id == "12_3");
    CHECK(c->jobs[0].name == a.name);
    CHECK(c->jobs[0].gpus == 16);
    CHECK(c->jobs[0].priority == 4294901759);
    CHECK(c->jobs[0].time_limit == 3600);
    CHECK_FALSE(c->jobs[1].time_limit);
    CHECK(c->jobs[1].exit_code == 1);
    // Another cluster's or user's list, a cut-short file, no file: not used.
    CHECK_FALSE(backends::slurm::read_job_cache(file, "http://head:6820 bob"));
    const auto text = *core::read_file(file);
    core::write_file(file, text.substr(0, text.size() - 5), 0600);
    CHECK_FALSE(backends::slurm::read_job_cache(file, "http://head:6820 alice"));
    CHECK_FALSE(backends::slurm::read_job_cache(dir / "none", "http://head:6820 alice"));
    CHECK_FALSE(backends::slurm::read_job_cache_time(dir / "none", "http://head:6820 alice"));
    core::write_file(file, "grid-slurm-jobs 0\nhttp://head:6820 alice\n1\t0\t\n", 0600);
    CHECK_FALSE(backends::slurm::read_job_cache_time(file, "http://head:6820 alice"));
}

TEST_CASE("slurm: slurmrestd's v0.0.38 replies read into the queue model", "[slurm]") {
    const auto pending = backends::slurm::parse_job(sample("rest_job_pending.json")["jobs"][0]);
    CHECK(pending.state == "PENDING");
    CHECK(pending.reason == "Resources");
    CHECK(pending.gpus == 1);        // gres:gpu:h100:1 per node, on 1 node
    CHECK(pending.start_time == 0);  // an estimate while pending, not a fact
    CHECK(pending.time_limit == 3600);
    const auto two = backends::slurm::parse_job(sample("rest_job_2node.json")["jobs"][0]);
    CHECK(two.nodes == 2);
    // The streaming reader of GET /jobs gives the same jobs as the whole document does.
    const auto reply = backends::slurm::parse_jobs_reply(sample("rest_job_2node.json").dump());
    CHECK(reply.valid);
    CHECK(reply.errors.empty());
    REQUIRE(reply.jobs.size() == 1);
    CHECK(reply.jobs[0].id == two.id);
    CHECK(reply.jobs[0].nodes == 2);
    CHECK(reply.jobs[0].node_list == two.node_list);
    CHECK(reply.jobs[0].gpus == two.gpus);
    CHECK(reply.jobs[0].time_limit == two.time_limit);
    const auto failed = backends::slurm::parse_jobs_reply(
        R"({"errors":[{"error_number":2017,"error":"Invalid job id specified"}],"jobs":[]})");
    CHECK(failed.valid);
    REQUIRE(failed.errors.size() == 1);
    CHECK(failed.errors[0]["error_number"] == 2017);
    CHECK_FALSE(backends::slurm::parse_jobs_reply("<html>proxy error</html>").valid);
    CHECK_FALSE(backends::slurm::parse_jobs_reply(R"({"jobs":[{"job_id":1},)").valid);
    std::vector<core::QueueNode> nodes;
    const json node_doc = sample("rest_nodes_2node.json");
    for (const auto& n : node_doc["nodes"])
        nodes.push_back(backends::slurm::parse_node(n));
    REQUIRE(nodes.size() == 2);
    CHECK(nodes[0].gpus_total == 8);
    CHECK(nodes[0].gpu_type == "h100");
    std::vector<core::Partition> parts;
    const json partition_doc = sample("rest_partitions.json");
    for (const auto& p : partition_doc["partitions"])
        parts.push_back(backends::slurm::parse_partition(p));
    REQUIRE_FALSE(parts.empty());
    CHECK(parts[0].name == "gpu");
    CHECK(parts[0].is_default);
    CHECK(parts[0].default_time == 3600);
    CHECK_FALSE(parts[0].max_time);  // -1: unlimited
}

TEST_CASE("slurm: queue list shows what squeue shows / filters / counters", "[slurm]") {
    World w;
    const auto running = w.submit("run", {"--gpus", "2", "--wrap", "sleep 300"});
    const auto held = w.submit("held", {"-H", "-p", "debug", "-N", "2", "--gpus-per-node", "1",
                                        "-t", "10", "--wrap", "sleep 300"});
    const auto done = w.submit("done", {"--wrap", "true"});
    const auto failed = w.submit("bad", {"--wrap", "false"});
    w.slurm.wait_state(running, {"RUNNING"});
    w.slurm.wait_state(done, {"COMPLETED"});
    w.slurm.wait_state(failed, {"FAILED"});

    const auto mine = w.listed();
    const auto oracle = w.slurm.squeue();
    for (const auto& id : {running, held, done, failed}) {
        INFO("job " << id);
        REQUIRE(mine.count(id));
        REQUIRE(oracle.count(id));
        const json& g = mine.at(id);
        const json& s = oracle.at(id);
        CHECK(g["state"] == s["job_state"]);
        CHECK(g["name"] == s["name"]);
        CHECK(g["partition"] == s["partition"]);
        CHECK(g["user"] == s["user_name"]);
        CHECK(g["nodes"] == s["node_count"]);
        CHECK(g["priority"] == s["priority"]);
    }
    CHECK(mine.at(running)["gpus"] == 2);
    CHECK(mine.at(held)["gpus"] == 2);  // one per node, two nodes
    CHECK(mine.at(held)["time_limit_s"] == 600);
    CHECK(mine.at(held)["category"] == "Pending");
    CHECK(mine.at(failed)["category"] == "Failed");
    CHECK(mine.at(done)["category"] == "Completed");
    CHECK(mine.at(running)["run_time_s"].get<long long>() >= 0);

    // The counters count the jobs listed.
    const auto doc = w.grid.ok(w.hpc({"queue", "list", "-o", "json"})).json();
    std::map<std::string, int> counted;
    for (const auto& j : doc["jobs"])
        ++counted[j["category"].get<std::string>()];
    CHECK(doc["counts"]["running"] == counted["Running"]);
    CHECK(doc["counts"]["pending"] == counted["Pending"]);
    CHECK(doc["counts"]["failed"] == counted["Failed"]);
    CHECK(doc["counts"]["completed"] == counted["Completed"]);

    // Filters: Slurm's words and the counters' words, partitions, users.
    auto ids = [](const std::map<std::string, json>& m) {
        std::set<std::string> out;
        for (const auto& [id, j] : m)
            out.insert(id);
        return out;
    };
    const auto pending = ids(w.listed({"--state", "pending"}));
    CHECK(pending.count(held));
    CHECK_FALSE(pending.count(running));
    const auto ended = ids(w.listed({"--state", "COMPLETED,failed"}));
    CHECK(ended.count(done));
    CHECK(ended.count(failed));
    CHECK_FALSE(ended.count(held));
    for (const auto& [id, j] : w.listed({"--partition", "debug"}))
        CHECK(j["partition"] == "debug");
    CHECK(w.listed({"--user", "nobody-at-all"}).empty());

    // For people: the counters, then a table.
    const auto table = w.grid.ok(w.hpc({"queue", "list"})).out;
    CHECK(table.rfind("Running ", 0) == 0);
    CHECK(table.find("JOBID  NAME") != std::string::npos);
    CHECK(table.find(w.prefix + "-held") != std::string::npos);
    const auto quiet = w.grid.ok(w.hpc({"queue", "list", "-q", "--state", "running"})).out;
    CHECK(quiet.find(running + "\n") != std::string::npos);
}

TEST_CASE("slurm: queue info matches scontrol / unknown jobs", "[slurm]") {
    World w;
    const auto id =
        w.submit("info", {"-H", "-p", "debug", "--gpus", "3", "-t", "5", "--wrap", "sleep 300"});
    const auto info = w.grid.ok(w.hpc({"queue", "info", id, "-o", "json"})).json();
    const auto shown = w.slurm.run({"scontrol", "show", "job", id});
    CHECK(info["id"] == id);
    CHECK(info["name"] == w.prefix + "-info");
    CHECK(shown.find("JobName=" + w.prefix + "-info") != std::string::npos);
    CHECK(shown.find("Partition=debug") != std::string::npos);
    CHECK(info["partition"] == "debug");
    CHECK(shown.find("JobState=PENDING") != std::string::npos);
    CHECK(info["state"] == "PENDING");
    CHECK(info["gpus"] == 3);
    CHECK(info["time_limit_s"] == 300);
    const auto people = w.grid.ok(w.hpc({"queue", "info", id})).out;
    CHECK(people.find("Time limit  0:05:00") != std::string::npos);

    const auto missing = w.grid.run(w.hpc({"queue", "info", "99999999"}));
    CHECK(missing.code == 3);
    CHECK(missing.err.find("no such job") != std::string::npos);
    CHECK(w.grid.run(w.hpc({"queue", "info", "abc"})).code == 2);
}

TEST_CASE("slurm: completion offers the queue's jobs and partitions / waits 2 s at most",
          "[slurm]") {
    World w;
    const auto id = w.submit("complete", {"-H", "-p", "debug", "--wrap", "true"});
    auto offered = [&](std::vector<std::string> words) {
        words.insert(words.begin(), "__complete");
        std::map<std::string, std::string> out;
        std::istringstream lines(w.grid.ok(words).out);
        for (std::string line; std::getline(lines, line);) {
            const auto tab = line.find('\t');
            out[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
        }
        return out;
    };
    for (const std::string verb : {"cancel", "release", "info", "top"}) {
        const auto jobs = offered({"queue", verb, "--profile", "hpc", ""});
        REQUIRE(jobs.count(id));
        CHECK(jobs.at(id) == "PENDING debug " + w.prefix + "-complete");
    }
    CHECK(offered({"queue", "cancel", "--profile=cmd", id}).count(id));  // Slurm's commands
    // Partitions, for options and arguments alike, as sinfo names them.
    std::set<std::string> names;
    std::istringstream sinfo(w.slurm.run({"sinfo", "-h", "-o", "%R"}));
    for (std::string n; std::getline(sinfo, n);)
        names.insert(n);
    for (auto words : std::vector<std::vector<std::string>>{
             {"queue", "list", "--profile", "hpc", "-p", ""},
             {"queue", "submit", "--profile", "hpc", "--partition", ""},
             {"queue", "delete", "--profile", "hpc", ""},
             {"queue", "rename", "--profile", "hpc", ""}}) {
        std::set<std::string> got;
        for (const auto& [name, d] : offered(words))
            got.insert(name);
        INFO(words[1]);
        CHECK(got == names);
    }
    // No profile, or a slurmrestd that takes the connection and never answers: nothing
    // offered, within the 2 s a shell is given, not the profile's 30 s.
    CHECK(w.grid.ok({"__complete", "queue", "cancel", ""}).out.empty());
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    test::Grid g;
    g.add_env("GRID_TEST_SLURM_TOKEN=" + w.slurm.token());
    g.write_config("[profiles.mute]\nscheduler = \"slurm\"\nurl = \"http://127.0.0.1:" +
                   std::to_string(ntohs(addr.sin_port)) +
                   "\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\ntimeout = \"30s\"\n");
    const auto started = std::chrono::steady_clock::now();
    const auto mute = g.run({"__complete", "queue", "cancel", "--profile", "mute", ""});
    const auto took = std::chrono::steady_clock::now() - started;
    ::close(listener);
    CHECK(mute.code == 0);
    CHECK(mute.out.empty());
    CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("slurm: a bad token is exit 6, an unreachable slurmrestd exit 5", "[slurm]") {
    World w;
    test::Grid g;
    g.add_env("GRID_TEST_SLURM_TOKEN=not-a-token");
    g.write_config("[profiles.hpc]\nscheduler = \"slurm\"\nurl = \"" + w.slurm.url() +
                   "\"\nuser = \"root\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\n"
                   "[profiles.down]\nscheduler = \"slurm\"\nurl = \"http://127.0.0.1:9\"\n"
                   "token_env = \"GRID_TEST_SLURM_TOKEN\"\ntimeout = \"2s\"\n"
                   "[profiles.unset]\nscheduler = \"slurm\"\nurl = \"" +
                   w.slurm.url() +
                   "\"\ntoken_env = \"GRID_TEST_NO_SUCH_VARIABLE\"\n"
                   "[profiles.cloud]\nprovider = \"local\"\n");
    const auto bad = g.run({"queue", "list", "--profile", "hpc"});
    CHECK(bad.code == 6);
    CHECK(bad.err.find("Slurm refused the token") != std::string::npos);
    CHECK(bad.err.find("not-a-token") == std::string::npos);
    CHECK(g.run({"queue", "info", "1", "--profile", "hpc"}).code == 6);
    const auto unset = g.run({"queue", "list", "--profile", "unset"});
    CHECK(unset.code == 6);
    CHECK(unset.err.find("$GRID_TEST_NO_SUCH_VARIABLE is not set") != std::string::npos);
    const auto down = g.run({"queue", "list", "--profile", "down"});
    CHECK(down.code == 5);
    CHECK(down.err.find("hint: is slurmrestd running at http://127.0.0.1:9?") != std::string::npos);
    CHECK(g.run({"queue", "list"}).code == 2);
    CHECK(g.run({"queue", "list", "--profile", "cloud"}).code == 2);
    CHECK(g.run({"queue", "list", "--profile", "nosuch"}).code == 2);
}

TEST_CASE("slurm: partitions and nodes as scontrol shows them", "[slurm]") {
    World w;
    const auto running = w.submit("gpus", {"--gpus", "3", "--wrap", "sleep 300"});
    w.slurm.wait_state(running, {"RUNNING"});

    const auto parts_doc = w.grid.ok(w.hpc({"queue", "partitions", "-o", "json"})).json();
    std::map<std::string, json> parts;
    for (const auto& p : parts_doc["partitions"])
        parts[p["name"].get<std::string>()] = p;
    REQUIRE(parts.count("gpu"));
    REQUIRE(parts.count("debug"));
    const auto debug = w.slurm.run({"scontrol", "show", "partition", "debug"});
    CHECK(debug.find("MaxTime=02:00:00") != std::string::npos);
    CHECK(parts["debug"]["max_time_s"] == 7200);
    CHECK(debug.find("DefaultTime=00:30:00") != std::string::npos);
    CHECK(parts["debug"]["default_time_s"] == 1800);
    CHECK(debug.find("TotalNodes=2") != std::string::npos);
    CHECK(parts["debug"]["nodes"] == 2);
    CHECK(w.slurm.run({"scontrol", "show", "partition", "gpu"}).find("MaxTime=UNLIMITED") !=
          std::string::npos);
    CHECK(parts["gpu"]["max_time_s"].is_null());
    CHECK(parts["gpu"]["default"] == true);
    CHECK(parts["debug"]["default"] == false);
    CHECK(parts["gpu"]["gpu_type"] == "h100");
    CHECK(parts["gpu"]["gpus_total"] == 16);
    CHECK(parts["gpu"]["gpus_available"].get<int>() <= 13);  // this test's job holds 3

    const auto nodes_doc = w.grid.ok(w.hpc({"queue", "nodes", "-o", "json"})).json();
    REQUIRE(nodes_doc["nodes"].size() == 2);
    int allocated = 0;
    for (const auto& n : nodes_doc["nodes"]) {
        const auto name = n["name"].get<std::string>();
        const auto shown = w.slurm.run({"scontrol", "show", "node", name});
        CHECK(shown.find("CPUTot=" + std::to_string(n["cpus"].get<int>())) != std::string::npos);
        CHECK(shown.find("RealMemory=" + std::to_string(n["memory_mb"].get<long long>())) !=
              std::string::npos);
        CHECK(shown.find("Gres=gpu:h100:8") != std::string::npos);
        CHECK(n["gpus_total"] == 8);
        // Other tests add partitions of their own meanwhile.
        const auto in = n["partitions"].get<std::set<std::string>>();
        CHECK(in.count("gpu"));
        CHECK(in.count("debug"));
        allocated += n["gpus_allocated"].get<int>();
    }
    CHECK(allocated >= 3);
    const auto busy = w.grid.ok(w.hpc({"queue", "nodes", "--state", "mixed,allocated", "-q"})).out;
    CHECK(!busy.empty());
    CHECK(w.grid.run(w.hpc({"queue", "nodes", "--state", "sleepy"})).code == 2);
    const auto table = w.grid.ok(w.hpc({"queue", "partitions"})).out;
    CHECK(table.find("gpu*") != std::string::npos);
    CHECK(table.find("UNLIMITED") != std::string::npos);
}

namespace {

// A job's fields as scontrol shows them: "Priority=12 Nice=0 ..." -> {"Priority": "12", ...}.
std::map<std::string, std::string> scontrol_job(const test::Slurm& s, const std::string& id) {
    const std::string text = s.run({"scontrol", "show", "job", id});
    std::map<std::string, std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && (text[at] == ' ' || text[at] == '\n'))
            ++at;
        auto end = at;
        while (end < text.size() && text[end] != ' ' && text[end] != '\n')
            ++end;
        const std::string word = text.substr(at, end - at);
        if (const auto eq = word.find('='); eq != std::string::npos)
            out[word.substr(0, eq)] = word.substr(eq + 1);
        at = end;
    }
    return out;
}

long long priority_of(const test::Slurm& s, const std::string& id) {
    return std::stoll(scontrol_job(s, id).at("Priority"));
}

// `queue submit --hold` through a profile; the job must be what was asked, as scontrol says.
std::string submit_held(World& w, const std::string& profile, const std::string& name) {
    const auto out =
        w.grid
            .ok({"queue", "submit", "--profile", profile, "--wrap", "sleep 300", "--gpus", "2",
                 "--time", "10m", "-p", "debug", "--name", w.prefix + "-" + name, "--hold", "-q"})
            .out;
    const std::string id = out.substr(0, out.find('\n'));
    w.submitted.push_back(id);
    const auto job = scontrol_job(w.slurm, id);
    CHECK(job.at("JobName") == w.prefix + "-" + name);
    CHECK(job.at("Partition") == "debug");
    CHECK(job.at("TimeLimit") == "00:10:00");
    CHECK(job.at("JobState") == "PENDING");
    CHECK(job.at("Priority") == "0");  // held
    CHECK(job.at("TresPerJob") == "gres:gpu:2");
    CHECK(job.at("WorkDir") == std::filesystem::current_path().string());
    return id;
}

}  // namespace

TEST_CASE("slurm: queue submit / the job is what scontrol shows", "[slurm]") {
    World w;
    submit_held(w, "hpc", "sub");

    // A script file runs where it was submitted, its output beside it.
    test::TempDir dir;
    const auto script = dir / "hello.sh";
    core::write_file(script, "#!/bin/bash\necho \"hello from $SLURM_JOB_NAME\"\n", 0755);
    const auto out = w.grid.ok(w.hpc({"queue", "submit", script.string(), "-o", "json"})).json();
    const std::string ran = out["id"];
    w.slurm.wait_state(ran, {"COMPLETED"});
    CHECK(scontrol_job(w.slurm, ran).at("JobName") == "hello.sh");
    const auto output = std::filesystem::current_path() / ("slurm-" + ran + ".out");
    const auto text = core::read_file(output);
    std::filesystem::remove(output);
    REQUIRE(text);
    CHECK(*text == "hello from hello.sh\n");

    CHECK(w.grid.run(w.hpc({"queue", "submit"})).code == 2);
    CHECK(w.grid.run(w.hpc({"queue", "submit", script.string(), "--wrap", "true"})).code == 2);
    CHECK(w.grid.run(w.hpc({"queue", "submit", "--wrap", "true", "--time", "soon"})).code == 2);
    const auto no_shebang = dir / "plain.txt";
    core::write_file(no_shebang, "echo hi\n", 0644);
    const auto bad = w.grid.run(w.hpc({"queue", "submit", no_shebang.string()}));
    CHECK(bad.code == 2);
    CHECK(bad.err.find("does not start with #!") != std::string::npos);
}

TEST_CASE("slurm: hold, release, top, bottom, move and cancel as scontrol sees them", "[slurm]") {
    World w;
    // Pending until their begin time, not held: jobs that stay put while the test moves them.
    auto later = [&](const std::string& name) {
        return w.submit(name, {"-p", "debug", "--begin", "now+1hour", "--wrap", "sleep 1"});
    };
    const auto a = later("a"), b = later("b"), c = later("c");

    w.grid.ok(w.hpc({"queue", "top", c}));
    CHECK(priority_of(w.slurm, c) > priority_of(w.slurm, a));
    CHECK(priority_of(w.slurm, c) > priority_of(w.slurm, b));
    w.grid.ok(w.hpc({"queue", "bottom", a}));
    CHECK(priority_of(w.slurm, a) < priority_of(w.slurm, b));
    CHECK(priority_of(w.slurm, a) > 0);

    w.grid.ok(w.hpc({"queue", "hold", b}));
    CHECK(priority_of(w.slurm, b) == 0);
    CHECK(scontrol_job(w.slurm, b).at("Reason") == "JobHeldAdmin");
    // Held jobs do not move: release them first.
    CHECK(w.grid.run(w.hpc({"queue", "top", b})).code == 4);
    w.grid.ok(w.hpc({"queue", "release", b}));
    CHECK(priority_of(w.slurm, b) > 0);

    const auto moved =
        w.grid.ok(w.hpc({"queue", "move", a, "--partition", "gpu", "-o", "json"})).json();
    CHECK(moved["jobs"][0]["partition"] == "gpu");
    CHECK(scontrol_job(w.slurm, a).at("Partition") == "gpu");

    // All or nothing: one unknown job and none is touched.
    const auto partly = w.grid.run(w.hpc({"queue", "hold", a, "99999999"}));
    CHECK(partly.code == 3);
    CHECK(partly.err.find("no job 99999999; nothing was changed") != std::string::npos);
    CHECK(priority_of(w.slurm, a) > 0);

    // Cancelling asks; off a terminal it needs --yes.
    const auto asked = w.grid.run(w.hpc({"queue", "cancel", c}));
    CHECK(asked.code == 2);
    CHECK(scontrol_job(w.slurm, c).at("JobState") == "PENDING");
    w.grid.ok(w.hpc({"queue", "cancel", c, "--yes"}));
    CHECK(scontrol_job(w.slurm, c).at("JobState") == "CANCELLED");
    CHECK(w.grid.run(w.hpc({"queue", "cancel", c, "--yes"})).code == 4);  // ended already

    const auto running = w.submit("running", {"--wrap", "sleep 300"});
    w.slurm.wait_state(running, {"RUNNING"});
    const auto hold_running = w.grid.run(w.hpc({"queue", "hold", running}));
    CHECK(hold_running.code == 4);
    CHECK(hold_running.err.find("only pending jobs can be held") != std::string::npos);
    CHECK(w.grid.run(w.hpc({"queue", "move", running, "--partition", "debug"})).code == 4);
}

TEST_CASE("slurm: queue clear cancels the pending jobs of one partition only", "[slurm]") {
    World w;
    // A partition of its own: the other tests share the cluster.
    const std::string part = "clear" + std::to_string(::getpid());
    w.slurm.run({"scontrol", "create", "partitionname=" + part, "nodes=ALL", "state=up"});
    struct Drop {
        const test::Slurm& s;
        std::string name;
        ~Drop() { s.run({"scontrol", "delete", "partitionname=" + name}); }
    } drop{w.slurm, part};
    const auto running = w.submit("run", {"-p", part, "--wrap", "sleep 300"});
    const auto p1 = w.submit("p1", {"-p", part, "--begin", "now+1hour", "--wrap", "true"});
    const auto p2 = w.submit("p2", {"-p", part, "-H", "--wrap", "true"});
    const auto elsewhere =
        w.submit("other", {"-p", "debug", "--begin", "now+1hour", "--wrap", "true"});
    w.slurm.wait_state(running, {"RUNNING"});

    CHECK(w.grid.run(w.hpc({"queue", "clear", part})).code == 2);  // not confirmed
    CHECK(scontrol_job(w.slurm, p1).at("JobState") == "PENDING");
    const auto cleared = w.grid.ok(w.hpc({"-vv", "queue", "clear", part, "--yes", "-q"}));
    const auto& out = cleared.out;
    // Pending jobs found: the partition exists, and its list is not asked for.
    CHECK(cleared.err.find("/partitions") == std::string::npos);
    CHECK(out.find(p1 + "\n") != std::string::npos);
    CHECK(out.find(p2 + "\n") != std::string::npos);
    CHECK(scontrol_job(w.slurm, p1).at("JobState") == "CANCELLED");
    CHECK(scontrol_job(w.slurm, p2).at("JobState") == "CANCELLED");
    CHECK(scontrol_job(w.slurm, running).at("JobState") == "RUNNING");
    CHECK(scontrol_job(w.slurm, elsewhere).at("JobState") == "PENDING");
    w.slurm.run({"scancel", running});
    w.slurm.wait_state(running, {"CANCELLED", "COMPLETED"});
    CHECK(w.grid.run(w.hpc({"queue", "clear", "no-such-partition", "--yes"})).code == 3);
    CHECK(w.grid.run(w.hpc({"queue", "clear", part, "--yes"})).code == 0);  // empty: nothing to do
}

TEST_CASE("slurm: queue list --watch redraws on a terminal until Ctrl-C", "[slurm][terminal]") {
    World w;
    test::require_tmux("bash");
    test::Tmux t(w.grid, "bash --norc --noprofile");
    t.keys({"grid queue list --profile hpc --watch; echo watch-exit=$?", "Enter"});
    REQUIRE(t.wait_for("Every 2s: grid queue list"));
    w.submit("watched", {"--begin", "now+1hour", "--wrap", "true"});
    CHECK(t.wait_for(w.prefix + "-watched", 10));
    // Redrawn in place: the screen holds one frame, not a scroll of them.
    const auto screen = t.visible();
    CHECK(screen.find("Every 2s") == screen.rfind("Every 2s"));
    t.keys({"C-c"});
    CHECK(t.wait_for("watch-exit=0", 5));
    CHECK(w.grid.run(w.hpc({"queue", "list", "--watch", "-o", "json"})).code == 2);
}

TEST_CASE("slurm: an unchanged queue is read from the cache after a 304 / changes show at once",
          "[slurm]") {
    using namespace std::chrono_literals;
    World w;
    const auto first = w.submit("cached", {"--begin", "now+1hour", "--wrap", "true"});
    // The other tests share the cluster: wait (bounded) for a second in which nothing changed.
    bool not_modified = false;
    std::string listed;
    for (int i = 0; i < 20 && !not_modified; ++i) {
        w.grid.ok(w.hpc({"queue", "list", "-q"}));
        std::this_thread::sleep_for(1200ms);
        const auto r = w.grid.ok(w.hpc({"-vv", "queue", "list", "-q"}));
        not_modified = r.err.find("< HTTP/1.1 304") != std::string::npos;
        listed = r.out;
    }
    REQUIRE(not_modified);
    CHECK(listed.find(first + "\n") != std::string::npos);  // the list kept from before

    const auto second = w.submit("after", {"--begin", "now+1hour", "--wrap", "true"});
    CHECK(w.grid.ok(w.hpc({"queue", "list", "-q"})).out.find(second + "\n") != std::string::npos);

    // A damaged cache is not trusted: the list is fetched whole again.
    for (const auto& e :
         std::filesystem::directory_iterator(w.grid.state_dir() / "slurm" / "cache"))
        core::write_file(e.path(), "grid-slurm-jobs 1\nsomething else\n", 0600);
    const auto r = w.grid.ok(w.hpc({"-vv", "queue", "list", "-q"}));
    CHECK(r.err.find("update_time") == std::string::npos);
    CHECK(r.out.find(second + "\n") != std::string::npos);

    // A list whose first lines are whole but whose jobs are cut short: the 304 (asked with its
    // time) cannot be answered from it, so the list is asked again in full.
    bool refetched = false;
    for (int i = 0; i < 20 && !refetched; ++i) {
        w.grid.ok(w.hpc({"queue", "list", "-q"}));
        std::this_thread::sleep_for(1200ms);
        for (const auto& e :
             std::filesystem::directory_iterator(w.grid.state_dir() / "slurm" / "cache")) {
            const auto text = *core::read_file(e.path());
            core::write_file(e.path(), text.substr(0, text.size() - 3), 0600);
        }
        const auto cut = w.grid.ok(w.hpc({"-vv", "queue", "list", "-q"}));
        CHECK(cut.out.find(second + "\n") != std::string::npos);
        refetched = cut.err.find("< HTTP/1.1 304") != std::string::npos;
        if (refetched)
            CHECK(cut.err.find("> GET /slurm/v0.0.38/jobs HTTP/1.1") != std::string::npos);
    }
    CHECK(refetched);
}

TEST_CASE("slurm: the OpenAPI version is the best one slurmrestd serves / none is an error",
          "[slurm]") {
    World w;
    const auto id = w.submit("v37", {"--begin", "now+1hour", "--wrap", "true"});
    test::ExtraRest older(w.slurm, "openapi/v0.0.37");
    test::ExtraRest oldest(w.slurm, "openapi/v0.0.36");
    test::Grid g;
    g.add_env("GRID_TEST_SLURM_TOKEN=" + w.slurm.token());
    g.write_config("[profiles.v37]\nscheduler = \"slurm\"\nurl = \"" + older.url() +
                   "\"\nuser = \"root\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\n"
                   "[profiles.v36]\nscheduler = \"slurm\"\nurl = \"" +
                   oldest.url() + "\"\nuser = \"root\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\n");
    const auto r = g.run({"-vv", "queue", "info", id, "--profile", "v37", "-o", "json"});
    REQUIRE(r.code == 0);
    CHECK(r.json()["name"] == w.prefix + "-v37");
    CHECK(r.err.find("GET /slurm/v0.0.37/job/" + id) != std::string::npos);
    const auto none = g.run({"queue", "list", "--profile", "v36"});
    CHECK(none.code == 5);
    CHECK(none.err.find("serves OpenAPI v0.0.36; grid reads v0.0.38 and v0.0.37") !=
          std::string::npos);
}

TEST_CASE("slurm: Slurm's commands show what slurmrestd shows", "[slurm]") {
    World w;
    const auto held =
        w.submit("held", {"-H", "-p", "debug", "--gpus", "2", "-t", "7", "--wrap", "sleep 300"});
    const auto done = w.submit("done", {"--wrap", "true"});
    w.slurm.wait_state(done, {"COMPLETED"});
    const auto rest = w.listed();
    const auto cli = w.listed({}, "cmd");
    for (const auto& id : {held, done}) {
        INFO("job " << id);
        REQUIRE(rest.count(id));
        REQUIRE(cli.count(id));
        for (const char* field : {"name", "user", "partition", "state", "nodes", "gpus",
                                  "time_limit_s", "priority", "category"})
            CHECK(cli.at(id)[field] == rest.at(id)[field]);
    }
    const auto info = w.grid.ok(w.cmd({"queue", "info", held, "-o", "json"})).json();
    CHECK(info["name"] == w.prefix + "-held");
    CHECK(info["time_limit_s"] == 420);
    CHECK(w.grid.run(w.cmd({"queue", "info", "99999999"})).code == 3);

    const auto rest_parts = w.grid.ok(w.hpc({"queue", "partitions", "-o", "json"})).json();
    const auto cli_parts = w.grid.ok(w.cmd({"queue", "partitions", "-o", "json"})).json();
    auto by_name = [](const json& doc, const char* list) {
        std::map<std::string, json> out;
        for (const auto& p : doc[list])
            out[p["name"].get<std::string>()] = p;
        return out;
    };
    const auto rp = by_name(rest_parts, "partitions"), cp = by_name(cli_parts, "partitions");
    for (const char* name : {"gpu", "debug"}) {
        INFO("partition " << name);
        REQUIRE(cp.count(name));
        for (const char* field : {"default", "state", "nodes", "gpu_type", "gpus_total",
                                  "default_time_s", "max_time_s"})
            CHECK(cp.at(name)[field] == rp.at(name)[field]);
    }
    const auto rn = by_name(w.grid.ok(w.hpc({"queue", "nodes", "-o", "json"})).json(), "nodes");
    const auto cn = by_name(w.grid.ok(w.cmd({"queue", "nodes", "-o", "json"})).json(), "nodes");
    REQUIRE(cn.size() == rn.size());
    for (const auto& [name, n] : rn)
        for (const char* field : {"cpus", "memory_mb", "gpu_type", "gpus_total"})
            CHECK(cn.at(name)[field] == n[field]);
}

TEST_CASE("slurm: submit, hold, release, top, move and cancel through Slurm's commands",
          "[slurm]") {
    World w;
    const std::string a = submit_held(w, "cmd", "cmd");

    const auto b = w.submit("b", {"-p", "debug", "--begin", "now+1hour", "--wrap", "true"});
    w.grid.ok(w.cmd({"queue", "release", a}));
    CHECK(priority_of(w.slurm, a) > 0);
    w.grid.ok(w.cmd({"queue", "top", b}));
    CHECK(priority_of(w.slurm, b) > priority_of(w.slurm, a));
    w.grid.ok(w.cmd({"queue", "hold", b}));
    CHECK(scontrol_job(w.slurm, b).at("Reason") == "JobHeldAdmin");
    w.grid.ok(w.cmd({"queue", "move", b, "-p", "gpu"}));
    CHECK(scontrol_job(w.slurm, b).at("Partition") == "gpu");
    w.grid.ok(w.cmd({"queue", "cancel", a, b, "--yes"}));
    CHECK(scontrol_job(w.slurm, a).at("JobState") == "CANCELLED");
    CHECK(scontrol_job(w.slurm, b).at("JobState") == "CANCELLED");
    CHECK(w.grid.run(w.cmd({"queue", "cancel", "99999999", "--yes"})).code == 3);
}

TEST_CASE("slurm: with slurmrestd down, Slurm's commands answer instead", "[slurm]") {
    World w;
    test::Grid g;
    g.add_env("GRID_TEST_SLURM_TOKEN=" + w.slurm.token());
    g.add_env("SLURM_CONF=" + w.slurm.conf());
    g.write_config("[profiles.both]\nscheduler = \"slurm\"\nurl = \"http://127.0.0.1:" +
                   std::to_string(test::free_loopback_port()) +
                   "\"\nuser = \"root\"\ntoken_env = \"GRID_TEST_SLURM_TOKEN\"\ncli = \"local\"\n");
    const auto id = w.submit("fallback", {"--begin", "now+1hour", "--wrap", "true"});
    const auto r = g.run({"-vv", "queue", "list", "--profile", "both", "-o", "json"});
    REQUIRE(r.code == 0);
    bool found = false;
    const json doc = r.json();
    for (const auto& j : doc["jobs"])
        found = found || j["id"] == id;
    CHECK(found);
    CHECK(r.err.find("using Slurm's commands") != std::string::npos);
    CHECK(r.err.find("slurm: squeue --json") != std::string::npos);
    // Nothing was sent, so a submit may go through the commands too.
    const auto sub = g.run({"queue", "submit", "--profile", "both", "--hold", "--name",
                            w.prefix + "-fb", "--wrap", "true", "-q"});
    REQUIRE(sub.code == 0);
    const std::string held = sub.out.substr(0, sub.out.find('\n'));
    w.submitted.push_back(held);
    CHECK(scontrol_job(w.slurm, held).at("JobName") == w.prefix + "-fb");
}

TEST_CASE("slurm: partitions are created, renamed with their pending jobs, deleted when empty",
          "[slurm]") {
    World w;
    const std::string name = "mk" + std::to_string(::getpid()), renamed = name + "r";
    struct Drop {
        const test::Slurm& s;
        std::vector<std::string> names;
        ~Drop() {
            for (const auto& n : names)
                s.run({"sh", "-c", "scontrol delete partitionname=" + n + " || true"});
        }
    } drop{w.slurm, {name, renamed}};

    const auto made = w.grid
                          .ok(w.cmd({"queue", "create", name, "--nodes", "node1", "--max-time",
                                     "2h", "--default-time", "15m", "-o", "json"}))
                          .json();
    CHECK(made["name"] == name);
    CHECK(made["max_time_s"] == 7200);
    auto shown = w.slurm.run({"scontrol", "show", "partition", name});
    CHECK(shown.find("MaxTime=02:00:00") != std::string::npos);
    CHECK(shown.find("DefaultTime=00:15:00") != std::string::npos);
    CHECK(shown.find("Nodes=node1") != std::string::npos);
    CHECK(shown.find("Default=NO") != std::string::npos);
    CHECK(w.grid.run(w.cmd({"queue", "create", name})).code == 4);
    CHECK(w.grid.run(w.cmd({"queue", "create", "bad name"})).code == 2);
    CHECK(
        w.grid
            .run(w.cmd({"queue", "create", name + "x", "--max-time", "1h", "--default-time", "2h"}))
            .code == 2);
    // slurmrestd cannot change partitions: a profile without the commands says where to go.
    const auto rest_only = w.grid.run(w.hpc({"queue", "create", name + "x"}));
    CHECK(rest_only.code == 2);
    CHECK(rest_only.err.find("cli = \"local\"") != std::string::npos);

    // A pending job moves with the partition; a running one keeps it from moving.
    const auto pending = w.submit("p", {"-p", name, "-H", "--wrap", "true"});
    const auto running = w.submit("r", {"-p", name, "--wrap", "sleep 300"});
    w.slurm.wait_state(running, {"RUNNING"});
    const auto busy = w.grid.run(w.cmd({"queue", "rename", name, renamed}));
    CHECK(busy.code == 4);
    CHECK(busy.err.find("1 running job") != std::string::npos);
    CHECK(w.slurm.run({"scontrol", "show", "partition", "--oneliner"}).find(renamed) ==
          std::string::npos);
    w.slurm.run({"scancel", running});
    w.slurm.wait_state(running, {"CANCELLED", "COMPLETED"});
    const auto moved = w.grid.ok(w.cmd({"queue", "rename", name, renamed, "-o", "json"})).json();
    CHECK(moved["name"] == renamed);
    CHECK(moved["max_time_s"] == 7200);
    shown = w.slurm.run({"scontrol", "show", "partition", renamed});
    CHECK(shown.find("MaxTime=02:00:00") != std::string::npos);
    CHECK(shown.find("Nodes=node1") != std::string::npos);
    CHECK(scontrol_job(w.slurm, pending).at("Partition") == renamed);
    CHECK(w.grid.run(w.cmd({"queue", "rename", name, renamed})).code == 3);
    CHECK(w.grid.run(w.cmd({"queue", "rename", renamed, "debug"})).code == 4);

    // Only an empty partition goes.
    const auto full = w.grid.run(w.cmd({"queue", "delete", renamed, "--yes"}));
    CHECK(full.code == 4);
    CHECK(full.err.find("grid queue clear " + renamed) != std::string::npos);
    CHECK(w.grid.run(w.cmd({"queue", "delete", renamed})).code == 2);  // not confirmed
    w.grid.ok(w.cmd({"queue", "clear", renamed, "--yes"}));
    CHECK(w.grid.ok(w.cmd({"queue", "delete", renamed, "--yes"})).out == renamed + "\n");
    CHECK(w.slurm.run({"scontrol", "show", "partition", "--oneliner"}).find(renamed) ==
          std::string::npos);
    CHECK(w.grid.run(w.cmd({"queue", "delete", renamed, "--yes"})).code == 3);
}

TEST_CASE("slurm: a Slurm too old for --json is named in the error", "[slurm]") {
    // Slurm before 21.08 cannot be installed here: its squeue is played by a script.
    test::TempDir dir;
    core::write_file(dir / "squeue",
                     "#!/bin/sh\n"
                     "case \"$1\" in --version) echo 'slurm 20.11.9'; exit 0;; esac\n"
                     "echo \"squeue: unrecognized option '--json'\" >&2\n"
                     "echo 'Try \"squeue --help\" for more information' >&2\nexit 1\n",
                     0755);
    test::Grid g;
    g.add_env("PATH=" + dir.path().string() + ":/usr/bin:/bin");
    g.write_config("[profiles.old]\nscheduler = \"slurm\"\ncli = \"local\"\n");
    const auto r = g.run({"queue", "list", "--profile", "old"});
    CHECK(r.code == 5);
    CHECK(r.err.find("too old for --json") != std::string::npos);
    CHECK(r.err.find("slurm 20.11.9") != std::string::npos);
    CHECK(r.err.find("21.08") != std::string::npos);
    // No Slurm commands at all.
    g.add_env("PATH=/nonexistent");
    const auto none = g.run({"queue", "list", "--profile", "old"});
    CHECK(none.code == 5);
    CHECK(none.err.find("squeue is not installed on this machine") != std::string::npos);
}

TEST_CASE("slurm: scontrol's lines and times are read", "[slurm]") {
    using backends::slurm::parse_scontrol_line;
    using backends::slurm::parse_slurm_time;
    const auto f = parse_scontrol_line(
        "PartitionName=debug AllowGroups=ALL Default=NO DefaultTime=00:30:00 MaxTime=1-02:00:00 "
        "Nodes=node[1-2] State=UP TotalNodes=2 JobDefaults=(null) "
        "TRES=cpu=128,mem=512G,node=2,billing=128");
    CHECK(f.at("PartitionName") == "debug");
    CHECK(f.at("Nodes") == "node[1-2]");
    CHECK(f.at("TRES") == "cpu=128,mem=512G,node=2,billing=128");
    CHECK(f.at("JobDefaults") == "(null)");
    const auto p = backends::slurm::partition_from_scontrol(f);
    CHECK(p.name == "debug");
    CHECK_FALSE(p.is_default);
    CHECK(p.state == "UP");
    CHECK(p.nodes == 2);
    CHECK(p.default_time == 1800);
    CHECK(p.max_time == 26 * 3600);

    CHECK(parse_slurm_time("UNLIMITED") == std::nullopt);
    CHECK(parse_slurm_time("NONE") == std::nullopt);
    CHECK(parse_slurm_time("30") == 1800);           // minutes
    CHECK(parse_slurm_time("30:15") == 1815);        // minutes:seconds
    CHECK(parse_slurm_time("01:00:00") == 3600);     // hours:minutes:seconds
    CHECK(parse_slurm_time("2-00") == 2 * 86400);    // days-hours
    CHECK(parse_slurm_time("1-01:30") == 91800);     // days-hours:minutes
    CHECK(parse_slurm_time("1-00:00:10") == 86410);  // days-hours:minutes:seconds
    CHECK(parse_slurm_time("soon") == std::nullopt);
    CHECK(parse_slurm_time("1:2:3:4") == std::nullopt);
}
