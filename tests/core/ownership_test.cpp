// Who owns a cluster: the store's records of operations, and how a live owner is told from a
// gone one.
#include "core/ownership.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/observer.hpp"
#include "core/process.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/support.hpp"

namespace {

core::Cluster make_cluster(const std::string& id) {
    core::Cluster c;
    c.id = id;
    c.provider = "local";
    c.type = "1xH100";
    core::Instance i;
    i.id = id + "-0";
    i.cluster_id = id;
    c.instances.push_back(i);
    return c;
}

pid_t ended_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int st = 0;
    ::waitpid(child, &st, 0);
    return child;
}

}  // namespace

TEST_CASE("an owner is gone when its process ended, its pid was reused, or it went quiet",
          "[ownership]") {
    const std::int64_t now = core::now_unix();
    core::Operation op;
    op.owner = core::this_process();
    op.heartbeat_at = now;
    CHECK_FALSE(core::owner_gone(op, now));
    CHECK(core::owner_gone(op, now + core::k_owner_stale.count() + 1));

    core::Operation reused = op;  // the same pid, a later process
    reused.owner.start_time += 1;
    CHECK(core::owner_gone(reused, now));

    core::Operation ended = op;
    ended.owner.pid = ended_pid();
    CHECK(core::owner_gone(ended, now));

    // On another machine sharing the store, only the heartbeat tells.
    core::Operation remote = ended;
    remote.owner.host = "elsewhere";
    CHECK_FALSE(core::owner_gone(remote, now));
    CHECK(core::owner_gone(remote, now + core::k_owner_stale.count() + 1));
}

TEST_CASE("the store gives a cluster to one owner at a time", "[ownership]") {
    test::TempDir dir;
    auto store = core::Store::open(dir / "grid.db");
    test::FakeClock clock;
    core::Operation create = core::new_operation("aaaaaaaa", core::OperationKind::Create, clock);
    store.insert_cluster(make_cluster("aaaaaaaa"), &create);
    REQUIRE(store.operation("aaaaaaaa"));
    CHECK(store.operation("aaaaaaaa")->kind == core::OperationKind::Create);

    core::Operation other = create;
    other.kind = core::OperationKind::Destroy;
    other.owner.pid = 1;
    other.owner.start_time = core::process_start_time(1);
    const auto alive = [](const core::Operation&) { return false; };
    const auto gone = [](const core::Operation&) { return true; };
    CHECK(store.claim(other, alive).owner == create.owner);  // held: the holder is returned
    CHECK(store.claim(other, gone).owner == other.owner);    // taken from a gone owner
    // The first owner learns it lost the cluster from its heartbeat, and cannot release it.
    CHECK_FALSE(store.heartbeat("aaaaaaaa", create.owner, clock.unix_now()));
    store.release("aaaaaaaa", create.owner);
    REQUIRE(store.operation("aaaaaaaa"));
    store.request_stop("aaaaaaaa");
    CHECK(store.operation("aaaaaaaa")->stop_requested);
    store.release("aaaaaaaa", other.owner);
    CHECK_FALSE(store.operation("aaaaaaaa"));
}

TEST_CASE("an owner hears a request to stop and a take-over through its heartbeat", "[ownership]") {
    test::TempDir dir;
    auto store = core::Store::open(dir / "grid.db");
    test::FakeClock clock;
    store.insert_cluster(make_cluster("bbbbbbbb"));
    core::set_interrupted(false);
    {
        auto claim = core::claim_cluster(store, clock, "bbbbbbbb", core::OperationKind::Create);
        REQUIRE(claim.ownership);
        // Claimed again by the same process: the outer operation keeps it.
        auto inner = core::claim_cluster(store, clock, "bbbbbbbb", core::OperationKind::Destroy);
        REQUIRE(inner.ownership);
        inner.ownership.reset();
        REQUIRE(store.operation("bbbbbbbb"));
        CHECK(store.operation("bbbbbbbb")->kind == core::OperationKind::Create);

        store.request_stop("bbbbbbbb");
        for (int i = 0; i < 200 && !core::interrupted(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(core::interrupted());
        CHECK(claim.ownership->stop_requested());
        core::set_interrupted(false);

        core::Operation thief =
            core::new_operation("bbbbbbbb", core::OperationKind::Destroy, clock);
        thief.owner.pid = 1;
        store.claim(thief, [](const core::Operation&) { return true; });
        for (int i = 0; i < 200 && !claim.ownership->lost(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(claim.ownership->lost());
        CHECK(core::interrupted());
        core::set_interrupted(false);
    }
    // Released only by its owner: the thief still holds it.
    REQUIRE(store.operation("bbbbbbbb"));
    CHECK(store.operation("bbbbbbbb")->owner.pid == 1);
}
