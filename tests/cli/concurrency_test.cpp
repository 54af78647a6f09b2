// Eight grid processes creating and destroying at once share one store: nothing is lost and
// nobody sees "database is locked".
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/process.hpp"
#include "tests/support/support.hpp"

TEST_CASE("eight processes create and destroy at once", "[cli][concurrency]") {
    test::require_sshd();
    test::Grid g;
    constexpr int k_procs = 8;
    std::vector<std::thread> threads;
    std::vector<test::Result> created(k_procs), destroyed(k_procs), listed(k_procs);
    for (int i = 0; i < k_procs; ++i)
        threads.emplace_back([&, i] {
            created[i] = g.run({"cluster", "create", "1xH100", "-q", "--name",
                                "run_" + std::to_string(i), "-i", g.pubkey().string()});
            listed[i] = g.run({"cluster", "list", "--json"});
            const std::string id = created[i].out.substr(0, created[i].out.find('\n'));
            destroyed[i] = g.run({"cluster", "destroy", id, "--yes", "-q"});
        });
    for (auto& t : threads)
        t.join();
    for (int i = 0; i < k_procs; ++i) {
        INFO("process " << i << ": " << created[i].err << destroyed[i].err << listed[i].err);
        CHECK(created[i].code == 0);
        CHECK(destroyed[i].code == 0);
        CHECK(listed[i].code == 0);
        for (const auto* r : {&created[i], &destroyed[i], &listed[i]})
            CHECK(r->err.find("locked") == std::string::npos);
    }
    const auto doc = g.ok({"cluster", "list", "--json"}).json();
    REQUIRE(doc["clusters"].size() == k_procs);
    for (const auto& c : doc["clusters"]) {
        CHECK(c["status"] == "DESTROYED");
        CHECK(c["end_reason"] == "destroyed by user");
    }
    // Every cluster got its own address and port: no two sandboxes collided.
    CHECK(g.sandbox_processes().empty());
}
