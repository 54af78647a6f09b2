// Real local clusters through the grid binary: create, ssh to every node, destroy, and check
// that no process is left behind.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

using namespace std::chrono_literals;

namespace {

void check_nothing_left(const test::Grid& g, const std::vector<int>& sshd_pids) {
    for (int pid : sshd_pids)
        CHECK_FALSE(core::process_alive(pid));
    CHECK(g.sandbox_processes().empty());
    std::error_code ec;
    CHECK(std::filesystem::is_empty(g.state_dir() / "local" / "instances", ec));
}

}  // namespace

TEST_CASE("a single-node cluster: create / info / ssh / destroy", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    const std::string id =
        g.create({"1xH100", "--name", "solo", "--label", "team=ml", "--group", "research:nlp"});
    const auto info = g.ok({"cluster", "info", "solo", "-o", "json"}).json();
    CHECK(info["id"] == id);
    CHECK(info["status"] == "RUNNING");
    CHECK(info["labels"]["team"] == "ml");
    CHECK(info["group"] == "research:nlp");
    REQUIRE(info["instances"].size() == 1);
    CHECK(info["instances"][0]["id"] == id + "-0");
    CHECK(info["instances"][0]["gpus"] == 1);

    const auto r = g.ok({"ssh", id, "--", "echo", "$GRID_INSTANCE"});
    CHECK(r.out == id + "-0\n");
    // The remote exit code is grid's.
    CHECK(g.run({"ssh", id + "-0", "--", "exit 7"}).code == 7);

    const auto pids = g.sshd_pids(id);
    REQUIRE(pids.size() == 1);
    CHECK(core::process_alive(pids[0]));
    const auto destroyed = g.ok({"cluster", "destroy", id, "--yes", "-o", "json"}).json();
    CHECK(destroyed["clusters"][0]["status"] == "DESTROYED");
    CHECK(destroyed["clusters"][0]["end_reason"] == "destroyed by user");
    check_nothing_left(g, pids);
    // The record stays, for list and info, until archived.
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["status"] == "DESTROYED");
}

TEST_CASE("a multi-node cluster: jumphost / workers through it / ssh-config", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"8xH100", "-n", "2"});
    const auto info = g.ok({"cluster", "info", id, "-o", "json"}).json();
    REQUIRE(info["instances"].size() == 3);
    CHECK(info["instances"][0]["id"] == id + "-jumphost");
    CHECK(info["instances"][0]["role"] == "jumphost");
    CHECK(info["instances"][1]["public_ip"].is_null());  // workers have private addresses only
    CHECK(info["gpus"] == 16);

    // Every node answers, each as itself.
    for (const std::string& node :
         std::vector<std::string>{id + "-jumphost", id + "-0", id + "-1"}) {
        const auto r = g.ok({"ssh", node, "--", "echo $GRID_INSTANCE; nvidia-smi -L | wc -l"});
        CHECK(r.out == node + "\n" + (node == id + "-jumphost" ? "0" : "8") + "\n");
    }
    // From the jumphost, workers are reachable by name, as on a cloud.
    CHECK(g.ok({"ssh", id, "--", "ssh " + id + "-1 'echo $GRID_INSTANCE'"}).out == id + "-1\n");

    // Workers are reached through the jumphost: with its sshd gone, they cannot be reached.
    const auto cfg = g.ok({"ssh-config"}).out;
    CHECK(cfg.find("Host " + id + "-0") != std::string::npos);
    CHECK(cfg.find("ProxyJump " + id + "-jumphost") != std::string::npos);
    const auto hosts = g.ok({"ssh-config", "-o", "json"}).json();
    CHECK(hosts["config"] == cfg);
    REQUIRE(hosts["hosts"].size() == 3);
    CHECK(hosts["hosts"][0]["host"] == id + "-jumphost");
    CHECK(hosts["hosts"][0]["proxy_jump"].is_null());
    CHECK(hosts["hosts"][2]["host"] == id + "-1");
    CHECK(hosts["hosts"][2]["cluster"] == id);
    CHECK(hosts["hosts"][2]["proxy_jump"] == id + "-jumphost");
    CHECK(hosts["hosts"][2]["hostname"] == info["instances"][2]["private_ip"]);
    const auto written = g.ok({"ssh-config", "--write", "--json"}).json();
    CHECK(core::read_file(written["path"].get<std::string>()) == cfg);
    test::TempDir tmp;
    core::write_file(tmp / "config", cfg, 0600);
    core::RunOptions o;
    o.timeout = 60s;
    const auto plain = core::run({"ssh", "-F", (tmp / "config").string(), "-o", "BatchMode=yes",
                                  id + "-1", "echo $GRID_INSTANCE"},
                                 o);
    INFO(plain.err);
    CHECK(plain.out == id + "-1\n");
    // Where the machine allows a network namespace per cluster, a worker's address means
    // nothing outside the cluster: only the jumphost reaches it.
    const bool own_network = std::filesystem::exists("/run/netns/grid-" + id);
    if (own_network) {
        const auto direct =
            core::run({"ssh", "-F", (tmp / "config").string(), "-o", "BatchMode=yes", "-o",
                       "ProxyJump=none", "-o", "ConnectTimeout=5", id + "-1", "true"},
                      o);
        CHECK(direct.exit_code == 255);
    } else {
        WARN(
            "no network namespace for the cluster (not root, or no iproute2): workers share this "
            "machine's loopback");
    }

    const auto pids = g.sshd_pids(id);
    REQUIRE(pids.size() == 3);
    const auto jump_pid = core::read_file(g.state_dir() / "local" / "instances" /
                                          (id + "-jumphost") / "run" / "sshd.pid");
    core::stop_process(std::stoi(jump_pid.value()), 2s);
    CHECK(core::run({"ssh", "-F", (tmp / "config").string(), "-o", "BatchMode=yes", "-o",
                     "ConnectTimeout=5", id + "-1", "true"},
                    o)
              .exit_code != 0);
    // grid notices the lost jumphost, and the cluster is FAILED.
    const auto after = g.ok({"cluster", "info", id, "--json"}).json();
    CHECK(after["status"] == "FAILED");
    CHECK(after["instances"][0]["status_reason"] == "unhealthy: sshd is not running");
    g.ok({"cluster", "destroy", id, "--yes"});
    check_nothing_left(g, pids);
    CHECK_FALSE(std::filesystem::exists("/run/netns/grid-" + id));
}

TEST_CASE("beyond capacity a cluster goes PENDING -> FAILED / exit 5 / nothing left",
          "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    g.write_config("[providers.local]\ngpus = { H100 = 8 }\n");
    const auto r = g.run({"cluster", "create", "8xH100", "-n", "2", "-i", g.pubkey().string()});
    CHECK(r.code == 5);
    CHECK(r.out.empty());
    CHECK(r.err.find("no capacity") != std::string::npos);
    CHECK(r.err.find("hint:") != std::string::npos);
    const auto list = g.ok({"cluster", "list", "--json"}).json();
    REQUIRE(list["clusters"].size() == 1);
    CHECK(list["clusters"][0]["status"] == "FAILED");
    const auto info = g.ok({"cluster", "info", list["clusters"][0]["id"], "--json"}).json();
    for (const auto& i : info["instances"])
        CHECK(i["status_reason"].get<std::string>().find("no capacity") == 0);
    CHECK(g.sandbox_processes().empty());
    // The transitions are on record.
    CHECK(g.ok({"types", "-q"}).out.find("8xH100") != std::string::npos);
}

TEST_CASE("the TTL is enforced while no grid command runs", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"1xH100", "--ttl", "2s"});
    const auto pids = g.sshd_pids(id);
    REQUIRE(pids.size() == 1);
    const auto watchdog = core::read_file(g.state_dir() / "clusters" / id / "watchdog.pid");
    REQUIRE(watchdog);
    // No grid runs here; the watchdog destroys the cluster on its own.
    for (int i = 0; i < 100 && core::process_alive(pids[0]); ++i)
        std::this_thread::sleep_for(100ms);
    CHECK_FALSE(core::process_alive(pids[0]));
    for (int i = 0; i < 50 && core::process_alive(std::stoi(*watchdog)); ++i)
        std::this_thread::sleep_for(100ms);
    CHECK_FALSE(core::process_alive(std::stoi(*watchdog)));
    const auto info = g.ok({"cluster", "info", id, "--json"}).json();
    CHECK(info["status"] == "DESTROYED");
    CHECK(info["end_reason"] == "ttl expired");
    check_nothing_left(g, pids);
}

TEST_CASE("destroy stops the TTL watchdog too", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"1xH100", "--ttl", "1h"});
    const auto watchdog = core::read_file(g.state_dir() / "clusters" / id / "watchdog.pid");
    REQUIRE(watchdog);
    CHECK(core::process_alive(std::stoi(*watchdog)));
    g.ok({"cluster", "destroy", id, "--yes"});
    CHECK_FALSE(core::process_alive(std::stoi(*watchdog)));
}

TEST_CASE("Ctrl-C during create stops it and leaves nothing running", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    // Interrupt at several points of the create; afterwards nothing may run.
    for (int delay_ms : {30, 150, 350}) {
        INFO("SIGINT after " << delay_ms << " ms");
        std::vector<std::string> argv{GRID_BINARY, "cluster", "create", "8xH100",
                                      "-n",        "3",       "-i",     g.pubkey().string()};
        std::vector<std::string> env = g.env();
        const std::string log =
            (g.state_dir().parent_path() / ("create.log." + std::to_string(delay_ms))).string();
        const pid_t pid = core::spawn_detached(argv, env, log);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        ::kill(pid, SIGINT);
        for (int i = 0; i < 300 && core::process_alive(pid); ++i)
            std::this_thread::sleep_for(20ms);
        REQUIRE_FALSE(core::process_alive(pid));
    }
    // Whatever was interrupted is recorded as ended, and has no process left.
    const auto list = g.ok({"cluster", "list", "--json"}).json();
    CHECK(list["clusters"].size() == 3);
    int ended = 0;
    for (const auto& c : list["clusters"]) {
        const std::string s = c["status"];
        if (s == "RUNNING") continue;  // finished before the signal came
        ++ended;
        CHECK((s == "DESTROYED" || s == "FAILED"));
        CHECK(c["end_reason"] == "interrupted");
        CHECK(g.sshd_pids(c["id"]).empty());
    }
    CHECK(ended >= 2);
}

TEST_CASE("a cluster keeps the prices its instances were launched at", "[cli][cluster]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"8xH100", "-n", "2"});
    auto doc = g.ok({"cluster", "info", id, "-o", "json"}).json();
    CHECK(doc["topology"] == "jumphost");
    CHECK(doc["price_per_hour"].get<double>() == Approx(2 * 19.92));
    CHECK(doc["instances"][0]["price_per_hour"].get<double>() == 0);  // the jumphost
    CHECK(doc["instances"][1]["price_per_hour"].get<double>() == Approx(19.92));
    // A later price is for later launches.
    g.write_config("[providers.local]\nprices = { H100 = 9.0 }\n");
    doc = g.ok({"cluster", "info", id, "-o", "json"}).json();
    CHECK(doc["price_per_hour"].get<double>() == Approx(2 * 19.92));
    g.ok({"cluster", "destroy", id, "--yes"});
    CHECK(g.ok({"cluster", "info", id, "-o", "json"}).json()["price_per_hour"] == 0);
}
