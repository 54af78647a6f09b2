// Operations and their owner: a create raced by looks from other grid processes, destroyed
// half-way, interrupted by every signal that ends a command, or killed outright, always ends in
// the truth with nothing left running. The table in tests/README.md lists what each row holds.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace {

using namespace std::chrono_literals;

const char* const k_live[] = {"PENDING", "PROVISIONING", "CONFIGURING", "CONTAINER_CREATING",
                              "RUNNING", "DESTROYING"};

std::string status_of(const test::Grid& g, const std::string& id) {
    return g.ok({"cluster", "info", id, "-o", "json"}).json()["status"];
}

bool is_live(const std::string& status) {
    for (const char* s : k_live)
        if (status == s) return true;
    return false;
}

std::vector<std::string> ids(const test::Grid& g) {
    std::vector<std::string> out;
    const auto doc = g.ok({"cluster", "list", "--all", "-o", "json"}).json();
    for (const auto& c : doc["clusters"])
        out.push_back(c["id"]);
    return out;
}

// Local multi-node clusters run Slurm where the machine can (root, Slurm installed).
bool local_slurm() {
    return ::geteuid() == 0 && test::have_program("/usr/sbin/slurmctld") &&
           test::have_program("/usr/sbin/munged");
}

// Runs `look` in a loop on other threads (other grid processes) until `done`, bounded.
class Lookers {
  public:
    explicit Lookers(std::vector<std::vector<std::string>> looks, const test::Grid& g) {
        for (auto& args : looks)
            m_threads.emplace_back([this, &g, args] {
                for (int i = 0; i < 2000 && !m_done; ++i)
                    g.run(args);
            });
    }
    ~Lookers() { stop(); }
    void stop() {
        m_done = true;
        for (auto& t : m_threads)
            if (t.joinable()) t.join();
    }

  private:
    std::atomic<bool> m_done{false};
    std::vector<std::thread> m_threads;
};

}  // namespace

TEST_CASE("a create raced by info and list --refresh in other processes succeeds",
          "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    const std::string nodes = GENERATE("1", "2");
    const std::string type = nodes == "1" ? "1xH100" : "8xH100";
    Lookers lookers({{"cluster", "info", "race"},
                     {"cluster", "list", "--refresh", "-q"},
                     {"cluster", "info", "race", "-o", "json"}},
                    g);
    const auto r = g.run({"cluster", "create", type, "-n", nodes, "--name", "race", "-i",
                          g.pubkey().string(), "-q"});
    lookers.stop();
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(status_of(g, "race") == "RUNNING");
}

TEST_CASE("eight creates next to refresh loops all succeed", "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    constexpr int k_creates = 8;
    Lookers lookers({{"cluster", "list", "--refresh", "-q"}, {"cluster", "list", "--refresh"}}, g);
    std::vector<test::Result> created(k_creates);
    std::vector<std::thread> threads;
    for (int i = 0; i < k_creates; ++i)
        threads.emplace_back([&, i] {
            // Two of them multi-node, with Slurm where the machine runs it.
            const bool multi = i % 4 == 0;
            created[i] = g.run({"cluster", "create", multi ? "8xH100" : "1xH100", "-n",
                                multi ? "2" : "1", "-i", g.pubkey().string(), "-q"});
        });
    for (auto& t : threads)
        t.join();
    lookers.stop();
    for (int i = 0; i < k_creates; ++i) {
        INFO("create " << i << ": " << created[i].err);
        CHECK(created[i].code == 0);
    }
    const auto doc = g.ok({"cluster", "list", "-o", "json"}).json();
    REQUIRE(doc["clusters"].size() == k_creates);
    for (const auto& c : doc["clusters"])
        CHECK(c["status"] == "RUNNING");
}

TEST_CASE("destroy at any point of a multi-node create leaves nothing behind", "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    const int delay_ms = GENERATE(0, 100, 300, 700);
    test::Background create(
        g, {"cluster", "create", "8xH100", "-n", "2", "-i", g.pubkey().string(), "-q"});
    const std::string id = g.wait_for_new_cluster({}, 10s);
    REQUIRE(!id.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    const auto destroyed = g.run({"cluster", "destroy", id, "--yes", "-q"});
    const int code = create.wait(120s);
    INFO("destroy after " << delay_ms << " ms: " << destroyed.err << "\ncreate: " << create.err());
    CHECK(destroyed.code == 0);
    // The create either finished first or says that its cluster was destroyed.
    CHECK((code == 0 || code == 4));
    CHECK_FALSE(is_live(status_of(g, id)));
    CHECK(g.leftovers(id).empty());
}

TEST_CASE("SIGTERM and SIGHUP release what a create launched, at any point", "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    const int sig = GENERATE(SIGTERM, SIGHUP);
    const int delay_ms = GENERATE(10, 100, 300, 800);
    test::Background create(
        g, {"cluster", "create", "8xH100", "-n", "2", "-i", g.pubkey().string(), "-q"});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    create.signal(sig);
    const int code = create.wait(120s);
    INFO("signal " << sig << " after " << delay_ms << " ms: " << create.err());
    const auto all = ids(g);
    if (all.empty()) {
        // Stopped before it recorded anything (perhaps before its handlers were in place):
        // it must not have launched anything either.
        CHECK((code == 130 || code == 128 + sig));
        CHECK(g.sandbox_processes().empty());
        return;
    }
    REQUIRE(all.size() == 1);
    // 130 when the signal stopped it; 0 when it had finished just before.
    CHECK((code == 130 || code == 0));
    if (code == 0) g.ok({"cluster", "destroy", all[0], "--yes"});
    CHECK_FALSE(is_live(status_of(g, all[0])));
    CHECK(g.leftovers(all[0]).empty());
}

TEST_CASE("after SIGKILL at any point, one list --refresh ends the create in the truth",
          "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    const int delay_ms = GENERATE(5, 40, 150, 400, 900);
    test::Background create(
        g, {"cluster", "create", "8xH100", "-n", "2", "-i", g.pubkey().string(), "-q"});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    create.signal(SIGKILL);
    const int code = create.wait(30s);
    REQUIRE((code == 128 + SIGKILL || code == 0));  // 0: it had finished just before
    const auto all = ids(g);
    if (all.empty()) {
        CHECK(g.sandbox_processes().empty());
        return;
    }
    const std::string id = all[0];
    g.ok({"cluster", "list", "--refresh", "-q"});
    const std::string status = status_of(g, id);
    INFO("killed after " << delay_ms << " ms: " << status);
    // Never stuck, never RUNNING without its set-up.
    REQUIRE((status == "FAILED" || status == "RUNNING"));
    if (status == "FAILED") {
        const auto doc = g.ok({"cluster", "info", id, "-o", "json"}).json();
        CHECK(doc["end_detail"] == "grid was killed");
        CHECK(g.leftovers(id).empty());
    } else {
        if (local_slurm()) {
            const auto nodes = g.ok({"queue", "nodes", "--cluster", id, "-o", "json"}).json();
            REQUIRE(nodes["nodes"].size() == 2);
            for (const auto& n : nodes["nodes"])
                CHECK(n["state"] == "IDLE");
        }
        g.ok({"cluster", "destroy", id, "--yes"});
        CHECK(g.leftovers(id).empty());
    }
}

TEST_CASE("destroying an ended cluster still sweeps what carries its marker", "[cli][ownership]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"1xH100"});
    g.ok({"cluster", "destroy", id, "--yes"});
    REQUIRE(g.leftovers(id).empty());
    // A daemon that a create cut short started after its sandbox was removed: the record no
    // longer knows it, its marker does.
    const auto marker =
        "GRID_SANDBOX=" + (g.state_dir() / "local" / "instances" / (id + "-0")).string();
    const pid_t stray = core::spawn_detached({"sleep", "600"}, {marker}, {});
    REQUIRE(core::process_alive(stray));
    g.ok({"cluster", "destroy", id, "--yes"});  // ended: not an error, and still a sweep
    const bool swept = !core::process_alive(stray);
    core::stop_process(stray, 1s);
    CHECK(swept);
    CHECK(g.leftovers(id).empty());
}
