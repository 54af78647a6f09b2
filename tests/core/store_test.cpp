#include "core/store.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/schema.hpp"
#include "tests/support/support.hpp"

using core::State;

namespace {

core::Cluster make_cluster(const std::string& id, int nodes, const std::string& name = "") {
    core::Cluster c;
    c.id = id;
    c.name = name;
    c.provider = "local";
    c.type = "8xH100";
    c.nodes = nodes;
    c.created_at = core::now_unix();
    c.labels = {{"team", "ml"}};
    if (nodes > 1) {
        core::Instance j;
        j.id = id + "-jumphost";
        j.cluster_id = id;
        j.role = core::Role::Jumphost;
        j.index = -1;
        c.instances.push_back(j);
    }
    for (int i = 0; i < nodes; ++i) {
        core::Instance inst;
        inst.id = id + "-" + std::to_string(i);
        inst.cluster_id = id;
        inst.index = i;
        inst.gpu_model = "H100";
        inst.gpu_count = 8;
        c.instances.push_back(inst);
    }
    return c;
}

}  // namespace

TEST_CASE("a new store is migrated to the current schema / and reopening changes nothing",
          "[store]") {
    test::TempDir dir;
    {
        auto s = core::Store::open(dir / "grid.db");
        CHECK(s.schema_version() == core::k_latest_schema_version);
        s.insert_cluster(make_cluster("aaaaaaaa", 1));
    }
    auto s = core::Store::open(dir / "grid.db");
    CHECK(s.schema_version() == core::k_latest_schema_version);
    CHECK(s.list_clusters().size() == 1);
}

TEST_CASE("a store from a newer grid is refused / not damaged", "[store]") {
    test::TempDir dir;
    { auto s = core::Store::open(dir / "grid.db"); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "grid.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    try {
        core::Store::open(dir / "grid.db");
        FAIL("opened");
    } catch (const core::Error& e) {
        CHECK(std::string(e.what()).find("newer") != std::string::npos);
    }
}

TEST_CASE("the store uses WAL", "[store]") {
    test::TempDir dir;
    { auto s = core::Store::open(dir / "grid.db"); }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "grid.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_CASE("clusters round-trip with their instances and a creation event", "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.insert_cluster(make_cluster("bbbbbbbb", 2, "train"));
    const auto c = s.find_cluster("bbbbbbbb");
    REQUIRE(c);
    CHECK(c->name == "train");
    CHECK(c->labels.at("team") == "ml");
    REQUIRE(c->instances.size() == 3);
    CHECK(c->instances[0].role == core::Role::Jumphost);  // jumphost first
    CHECK(c->instances[1].id == "bbbbbbbb-0");
    CHECK(c->status() == State::Pending);
    const auto ev = s.events("bbbbbbbb");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == core::EventKind::Created);
    CHECK_FALSE(s.find_cluster("cccccccc"));
}

TEST_CASE("transitions are compare-and-set / checked against the lifecycle / and recorded",
          "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.insert_cluster(make_cluster("dddddddd", 1));
    CHECK(s.transition("dddddddd-0", State::Pending, State::Provisioning, "capacity found"));
    // Someone else already moved it: the second mover learns it and changes nothing.
    CHECK_FALSE(s.transition("dddddddd-0", State::Pending, State::Provisioning, "again"));
    CHECK_THROWS_AS(s.transition("dddddddd-0", State::Provisioning, State::Running, "skip"),
                    core::Error);
    CHECK(s.find_cluster("dddddddd")->instances[0].state == State::Provisioning);
    CHECK(s.transition("dddddddd-0", State::Provisioning, State::Failed, "lost"));
    const auto c = s.find_cluster("dddddddd");
    CHECK(c->instances[0].state_reason == "lost");
    CHECK(c->ended_at.has_value());  // the last live instance ended the cluster
    const auto ev = s.events("dddddddd");
    REQUIRE(ev.size() == 3);
    CHECK(ev[1].kind == core::EventKind::Transition);
    CHECK(ev[1].from == State::Pending);
    CHECK(ev[1].to == State::Provisioning);
    CHECK(ev[2].message == "lost");
}

TEST_CASE("the first end reason wins", "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.insert_cluster(make_cluster("eeeeeeee", 1));
    s.set_end_reason("eeeeeeee", core::EndReason::TtlExpired, "");
    s.set_end_reason("eeeeeeee", core::EndReason::DestroyedByUser, "");
    CHECK(s.find_cluster("eeeeeeee")->end_reason == core::EndReason::TtlExpired);
}

TEST_CASE("archived clusters are hidden unless asked for", "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.insert_cluster(make_cluster("ffffffff", 1, "old"));
    s.insert_cluster(make_cluster("gggggggg", 1, "new"));
    s.set_archived("ffffffff");
    CHECK(s.list_clusters().size() == 1);
    core::ClusterQuery q;
    q.include_archived = true;
    CHECK(s.list_clusters(q).size() == 2);
    CHECK(s.ids_with_name("old", false).empty());
    CHECK(s.ids_with_name("old", true).size() == 1);
    CHECK(s.ids_with_prefix("g", false) == std::vector<std::string>{"gggggggg"});
    CHECK(s.ids_with_prefix("%", true).empty());  // no LIKE wildcards
}

TEST_CASE("keys are unique by name and by key", "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.add_key({"laptop", "ssh-ed25519 AAAAC3Nza laptop", "SHA256:x", 1});
    CHECK_THROWS_AS(s.add_key({"laptop", "ssh-ed25519 AAAAC3Nzb", "SHA256:y", 2}), core::Error);
    CHECK_THROWS_AS(s.add_key({"other", "ssh-ed25519 AAAAC3Nza laptop", "SHA256:x", 3}),
                    core::Error);
    CHECK(s.keys().size() == 1);
}

TEST_CASE("concurrent writers queue instead of failing", "[store]") {
    test::TempDir dir;
    { auto s = core::Store::open(dir / "grid.db"); }
    constexpr int k_threads = 8, k_each = 25;
    std::vector<std::thread> threads;
    std::vector<std::string> errors(k_threads);
    for (int t = 0; t < k_threads; ++t)
        threads.emplace_back([&, t] {
            try {
                auto s =
                    core::Store::open(dir / "grid.db");  // its own connection, as a process has
                for (int i = 0; i < k_each; ++i) {
                    char id[9];
                    std::snprintf(id, sizeof id, "t%01dx%04d", t, i);
                    s.insert_cluster(make_cluster(id, 1));
                    s.transition(std::string(id) + "-0", State::Pending, State::Provisioning, "go");
                }
            } catch (const std::exception& e) {
                errors[t] = e.what();
            }
        });
    for (auto& th : threads)
        th.join();
    for (const auto& e : errors)
        CHECK(e.empty());
    auto s = core::Store::open(dir / "grid.db");
    const auto all = s.list_clusters();
    CHECK(all.size() == k_threads * k_each);
    for (const auto& c : all)
        CHECK(c.status() == State::Provisioning);
}

TEST_CASE("the stored cluster status follows its instances", "[store]") {
    test::TempDir dir;
    auto s = core::Store::open(dir / "grid.db");
    s.insert_cluster(make_cluster("hhhhhhhh", 2));
    auto summary = [&] { return s.list_summaries().at(0); };
    CHECK(summary().status == State::Pending);
    CHECK(summary().gpus == 16);
    for (const char* id : {"hhhhhhhh-jumphost", "hhhhhhhh-0", "hhhhhhhh-1"}) {
        s.transition(id, State::Pending, State::Provisioning, "");
        s.transition(id, State::Provisioning, State::Configuring, "");
    }
    CHECK(summary().status == State::Configuring);
    s.transition("hhhhhhhh-0", State::Configuring, State::Running, "");
    CHECK(summary().status == State::Configuring);  // two are still configuring
    s.transition("hhhhhhhh-1", State::Configuring, State::Failed, "");
    CHECK(summary().status == State::Failed);
    const auto full = s.find_cluster("hhhhhhhh").value();
    CHECK(core::summarize(full).status == summary().status);
    CHECK(s.cluster_count() == 1);
}
