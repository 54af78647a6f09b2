// The engine against a scripted provider: the lifecycle rules that do not need a machine.
#include "core/engine.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "core/errors.hpp"
#include "core/ownership.hpp"
#include "core/process.hpp"
#include "core/registry.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_shell.hpp"
#include "tests/support/support.hpp"

using core::State;

namespace {

// What the fake cloud holds; shared with the test through a global, as the registry builds
// providers by name.
struct FakeCloud {
    std::map<std::string, core::Observation> instances;  // by provider id
    std::vector<std::vector<std::string>> terminate_calls;
    int launch_limit = 1000;  // launches beyond this throw a provider error
    bool no_capacity = false;
    std::function<void()> after_launch;  // runs once each launch is accepted
    bool listing = false;                // lists every instance in one call
    int describe_calls = 0;
    int discover_calls = 0;
};
FakeCloud g_cloud;

class FakeProvider final : public core::Provider {
  public:
    core::Capabilities capabilities() const override {
        core::Capabilities c;
        c.listing = g_cloud.listing;
        return c;
    }
    std::vector<core::InstanceType> catalog() override {
        core::InstanceType t;
        t.name = "8xH100";
        t.gpu_model = "H100";
        t.gpu_count = 8;
        t.available = 10;
        return {t};
    }
    void launch(std::span<const core::LaunchRequest> reqs, const LaunchedFn& launched) override {
        if (g_cloud.no_capacity) throw core::CapacityError("no capacity: fake cloud is full");
        for (const auto& r : reqs) {
            if (g_cloud.launch_limit-- <= 0)
                throw core::Error(core::ErrorKind::Provider, "fake cloud broke mid-launch");
            const std::string id = "i-" + r.name;
            g_cloud.instances[id] = core::Observation{};  // booting
            launched({r.name, id, r.role == core::Role::Worker ? 19.92 : 0.5});
            if (g_cloud.after_launch) g_cloud.after_launch();
        }
    }
    std::map<std::string, core::Observation> describe(std::span<const std::string> ids) override {
        ++g_cloud.describe_calls;
        std::map<std::string, core::Observation> out;
        for (const auto& id : ids)
            if (auto it = g_cloud.instances.find(id); it != g_cloud.instances.end())
                out.emplace(id, it->second);
        return out;
    }
    std::vector<Discovered> discover() override {
        ++g_cloud.discover_calls;
        std::vector<Discovered> out;
        for (const auto& [id, o] : g_cloud.instances)  // named "i-" + the instance's name
            out.push_back({id.substr(2), id, "fake_8x_h100", "", o});
        return out;
    }
    std::optional<core::InstanceType> type_of(const std::string& t) override {
        if (t != "fake_8x_h100") return std::nullopt;
        return catalog().front();
    }
    void terminate(std::span<const std::string> ids) override {
        g_cloud.terminate_calls.emplace_back(ids.begin(), ids.end());
        for (const auto& id : ids)
            g_cloud.instances.erase(id);
    }
    std::chrono::milliseconds poll_interval() const override {
        return std::chrono::milliseconds(1);
    }
};

core::Observation active() {
    core::Observation o;
    o.state = core::ProviderState::Active;
    return o;
}

class Recorder : public core::Observer {
  public:
    void on_transition(const std::string& id, State, State to, const std::string&) override {
        seen.push_back(id + " " + core::to_string(to));
    }
    std::vector<std::string> seen;
};

struct World {
    test::TempDir dir;
    core::Store store = core::Store::open(dir / "grid.db");
    core::Config config = core::Config::parse("default_provider = \"fake\"\n", "test");
    Recorder observer;
    core::Engine engine{store, config, core::Paths{dir / "config.toml", dir.path()}, observer};

    World() {
        g_cloud = FakeCloud{};
        core::register_provider(
            "fake", [](const core::ProviderContext&) { return std::make_unique<FakeProvider>(); });
    }

    core::CreateRequest request(int nodes = 1) const {
        core::CreateRequest r;
        r.type = "8xH100";
        r.nodes = nodes;
        r.public_keys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake test"};
        r.wait = false;
        return r;
    }
};

}  // namespace

TEST_CASE("a launched instance is PROVISIONING with its provider id recorded", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    const auto c = w.engine.create(w.request(2));
    REQUIRE(c.instances.size() == 3);
    for (const auto& i : c.instances) {
        CHECK(i.state == State::Provisioning);
        CHECK(i.provider_id == "i-" + i.id);
    }
}

TEST_CASE("an instance that vanishes unasked is FAILED / never DESTROYED", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(1));
    g_cloud.instances.clear();
    c = w.engine.refresh(c.id);
    CHECK(c.instances[0].state == State::Failed);
    CHECK(c.instances[0].state_reason.find("lost") != std::string::npos);
    CHECK(c.status() == State::Failed);
}

TEST_CASE("preempted and unhealthy instances fail with the reason", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(2));
    g_cloud.instances["i-" + c.id + "-0"].state = core::ProviderState::Preempted;
    g_cloud.instances["i-" + c.id + "-1"].state = core::ProviderState::Unhealthy;
    g_cloud.instances["i-" + c.id + "-1"].detail = "disk error";
    c = w.engine.refresh(c.id);
    CHECK(c.instances[1].state_reason.rfind("preempted", 0) == 0);
    CHECK(c.instances[2].state_reason == "unhealthy: disk error");
    CHECK(c.instances[0].state == State::Provisioning);  // the jumphost is still fine
    CHECK(c.status() == State::Failed);
}

TEST_CASE("a provider state the lifecycle has no transition for is recorded / not applied",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(1));
    g_cloud.instances.begin()->second.state = core::ProviderState::Terminating;
    c = w.engine.refresh(c.id);
    CHECK(c.instances[0].state == State::Provisioning);
    bool recorded = false;
    for (const auto& e : w.store.events(c.id))
        if (e.kind == core::EventKind::Observed &&
            e.message.find("terminating while PROVISIONING") != std::string::npos)
            recorded = true;
    CHECK(recorded);
}

TEST_CASE("destroy terminates everything in one call and waits for the provider", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(3));
    c = w.engine.destroy(c.id, core::EndReason::DestroyedByUser, "", true);
    REQUIRE(g_cloud.terminate_calls.size() == 1);
    CHECK(g_cloud.terminate_calls[0].size() == 4);
    CHECK(g_cloud.instances.empty());
    CHECK(c.status() == State::Destroyed);
    CHECK(c.end_reason == core::EndReason::DestroyedByUser);
    // Destroying again is harmless and asks the provider for nothing.
    w.engine.destroy(c.id, core::EndReason::DestroyedByUser, "", true);
    CHECK(g_cloud.terminate_calls.size() == 1);
}

TEST_CASE("no capacity fails the cluster from PENDING", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    g_cloud.no_capacity = true;
    try {
        w.engine.create(w.request(2));
        FAIL("created");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Provider);
        CHECK(std::string(e.what()).find("no capacity") != std::string::npos);
    }
    const auto all = w.store.list_clusters();
    REQUIRE(all.size() == 1);
    for (const auto& i : all[0].instances)
        CHECK(i.state == State::Failed);
    CHECK(all[0].end_reason == core::EndReason::Failed);
}

TEST_CASE("a launch that breaks half way releases what it launched", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    g_cloud.launch_limit = 2;  // the jumphost and one worker launch, then the cloud errs
    CHECK_THROWS_AS(w.engine.create(w.request(3)), core::Error);
    CHECK(g_cloud.instances.empty());
    const auto c = w.store.list_clusters().at(0);
    int destroyed = 0, failed = 0;
    for (const auto& i : c.instances) {
        destroyed += i.state == State::Destroyed;
        failed += i.state == State::Failed;
    }
    CHECK(destroyed == 2);
    CHECK(failed == 2);
}

TEST_CASE("an instance launched after its cluster was destroyed is terminated at once",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    // A second grid process destroys the cluster while this one is still launching.
    bool once = false;
    g_cloud.after_launch = [&] {
        if (once) return;
        once = true;
        const auto id = w.store.list_clusters().at(0).id;
        core::Store other = core::Store::open(w.dir / "grid.db");
        core::Engine e2(other, w.config, core::Paths{w.dir / "config.toml", w.dir.path()},
                        w.observer);
        e2.destroy(id, core::EndReason::DestroyedByUser, "", false);
    };
    CHECK_THROWS(w.engine.create(w.request(2)));
    CHECK(g_cloud.instances.empty());
    for (const auto& i : w.store.list_clusters().at(0).instances)
        CHECK_FALSE(core::is_live(i.state));
}

TEST_CASE("an expired TTL is enforced by the next refresh", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto r = w.request(1);
    r.ttl = std::chrono::seconds(1);
    auto c = w.engine.create(r);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    c = w.engine.refresh(c.id);
    CHECK(c.status() == State::Destroyed);
    CHECK(c.end_reason == core::EndReason::TtlExpired);
    CHECK(g_cloud.instances.empty());
}

TEST_CASE("names and prefixes resolve; ambiguity and absence are reported", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto r = w.request(1);
    r.name = "train";
    const auto a = w.engine.create(r);
    CHECK(w.engine.resolve_cluster("train") == a.id);
    CHECK(w.engine.resolve_cluster(a.id.substr(0, 5)) == a.id);
    // A name is free again once its cluster is archived; the archived one is history.
    w.engine.destroy(a.id, core::EndReason::DestroyedByUser, "", true);
    w.engine.archive({a.id});
    const auto b = w.engine.create(r);
    CHECK(w.engine.resolve_cluster("train") == b.id);
    CHECK(w.engine.resolve_cluster("train", /*include_archived=*/true) == b.id);
    try {
        w.engine.resolve_cluster("nosuch");
        FAIL("resolved");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::NotFound);
    }
    const auto [cluster, inst] = w.engine.resolve_instance("train");
    CHECK(inst.id == b.id + "-0");
    CHECK(w.engine.resolve_instance(b.id + "-0").second.id == b.id + "-0");
    CHECK_THROWS_AS(w.engine.resolve_instance(b.id + "-7"), core::Error);
}

namespace {

core::ErrorKind create_error(World& w, const core::CreateRequest& r) {
    try {
        w.engine.create(r);
    } catch (const core::Error& e) {
        return e.kind();
    }
    FAIL("created");
    return core::ErrorKind::Other;
}

}  // namespace

TEST_CASE("a name stands for one cluster and cannot pass for an id or an instance", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto r = w.request(1);
    r.name = "train";
    const auto a = w.engine.create(r);
    // Taken while its cluster is not archived, ended or not.
    CHECK(create_error(w, r) == core::ErrorKind::InvalidState);
    w.engine.destroy(a.id, core::EndReason::DestroyedByUser, "", true);
    CHECK(create_error(w, r) == core::ErrorKind::InvalidState);
    // The start of another cluster's id, or an id itself.
    r.name = a.id.substr(0, 3);
    CHECK(create_error(w, r) == core::ErrorKind::InvalidState);
    for (const std::string& bad :
         std::vector<std::string>{"", "bcdefghj", "train-0", "train-jumphost", "a b", "-x",
                                  std::string(64, 'a'), "tab\tname"}) {
        r.name = bad;
        INFO(bad);
        CHECK(create_error(w, r) == core::ErrorKind::Usage);
    }
    CHECK(w.store.list_clusters().size() == 1);
}

TEST_CASE("a new id never starts with a name in use", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    // One-letter names for every first letter of an id that no id has taken yet: each new id
    // must then avoid more of them.
    auto r = w.request(1);
    for (const char c : std::string("abcdefghjkmnpqrstvwxyz")) {
        r.name = std::string(1, c);
        try {
            w.engine.create(r);
        } catch (const core::Error& e) {
            CHECK(e.kind() == core::ErrorKind::InvalidState);  // an id starts with it already
        }
    }
    r.name.reset();
    for (int i = 0; i < 10; ++i)
        w.engine.create(r);
    const auto all = w.store.list_clusters();
    CHECK(all.size() > 10);
    for (const auto& named : all)
        for (const auto& c : all)
            if (!named.name.empty() && c.id != named.id) {
                INFO(c.id << " and the name " << named.name);
                CHECK(c.id.rfind(named.name, 0) != 0);
            }
}

TEST_CASE("what a user typed that stands for several clusters is an error naming them",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    const auto a = w.engine.create(w.request(1));
    auto r = w.request(1);
    // A cluster whose id starts like a's, inserted as a store of another grid would have it.
    core::Cluster other = w.engine.plan(r);
    core::set_cluster_id(other, a.id.substr(0, 4) + "zzzz");
    REQUIRE(w.store.insert_cluster(other));
    try {
        w.engine.resolve_cluster(a.id.substr(0, 4));
        FAIL("resolved");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Usage);
        CHECK(std::string(e.what()).find(a.id) != std::string::npos);
        CHECK(std::string(e.what()).find(other.id) != std::string::npos);
    }
    CHECK(w.engine.resolve_cluster(a.id) == a.id);
}

TEST_CASE("bad requests are usage errors before anything is created", "[engine]") {
    World w;
    auto expect_usage = [&](core::CreateRequest r) {
        try {
            w.engine.create(r);
            FAIL("created");
        } catch (const core::Error& e) {
            CHECK(e.kind() == core::ErrorKind::Usage);
        }
    };
    auto r = w.request();
    r.type = "3xV100";
    expect_usage(r);
    r = w.request(0);
    expect_usage(r);
    r = w.request(2);
    r.container = "pytorch";
    expect_usage(r);
    r = w.request();
    r.public_keys.clear();
    expect_usage(r);
    r = w.request();
    r.group = "nocolon";
    expect_usage(r);
    r = w.request();
    r.provider = "nosuch";
    expect_usage(r);
    CHECK(w.store.list_clusters().empty());
}

TEST_CASE("refresh_all looks once per account / records strangers / they can be destroyed",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    g_cloud.listing = true;
    const auto a = w.engine.create(w.request(1));
    const auto b = w.engine.create(w.request(2));
    g_cloud.instances["i-qrstvwxy-0"] = active();
    g_cloud.instances["i-" + b.id + "-0"].state = core::ProviderState::Preempted;
    g_cloud.describe_calls = g_cloud.discover_calls = 0;

    const auto adopted = w.engine.refresh_all();
    CHECK(g_cloud.discover_calls == 1);
    CHECK(g_cloud.describe_calls == 0);
    // The look applies to the known clusters as a describe() would.
    CHECK(w.engine.load(b.id).instances[1].state == State::Failed);
    CHECK(w.engine.load(a.id).instances[0].state == State::Provisioning);

    REQUIRE(adopted == std::vector<std::string>{"qrstvwxy"});
    const auto c = w.engine.load("qrstvwxy");
    CHECK(c.type == "8xH100");
    CHECK(c.status() == State::Failed);
    CHECK(c.instances[0].provider_id == "i-qrstvwxy-0");
    CHECK(c.instances[0].state_reason.find("grid cluster destroy qrstvwxy") != std::string::npos);

    // Recorded once: the next look knows it.
    CHECK(w.engine.refresh_all().empty());
    CHECK(w.store.list_clusters().size() == 3);

    w.engine.destroy(c.id, core::EndReason::DestroyedByUser, "", true);
    REQUIRE_FALSE(g_cloud.terminate_calls.empty());
    CHECK(g_cloud.terminate_calls.back() == std::vector<std::string>{"i-qrstvwxy-0"});
    CHECK_FALSE(g_cloud.instances.count("i-qrstvwxy-0"));
}

TEST_CASE("refresh_all records the id of a launch whose reply was lost", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    g_cloud.listing = true;
    g_cloud.launch_limit = 1;  // the jumphost launches, the first worker breaks
    try {
        w.engine.create(w.request(2));
    } catch (const core::Error&) {
    }
    const auto clusters = w.store.list_clusters();
    REQUIRE(clusters.size() == 1);
    const auto id = clusters[0].id;
    // ... but the provider did start it after all.
    g_cloud.instances["i-" + id + "-0"] = active();
    CHECK(w.engine.refresh_all().empty());
    CHECK(w.engine.load(id).instances[1].provider_id == "i-" + id + "-0");
}

namespace {

// An operation on `cluster_id` owned by another process: pid 1, which lives as long as the
// machine, or one that has ended.
core::Operation foreign_operation(const std::string& cluster_id, bool alive, bool resumable) {
    core::Operation op;
    op.cluster_id = cluster_id;
    op.kind = core::OperationKind::Create;
    op.owner.host = core::this_process().host;
    if (alive) {
        op.owner.pid = 1;
        op.owner.start_time = core::process_start_time(1);
    } else {
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        int st = 0;
        ::waitpid(child, &st, 0);
        op.owner.pid = child;
        op.owner.start_time = 12345;
    }
    op.started_at = op.heartbeat_at = core::now_unix();
    op.resumable = resumable;
    return op;
}

// Puts `op` in place of whatever owns the cluster now.
void hand_over(core::Store& store, const core::Operation& op) {
    store.claim(op, [](const core::Operation&) { return true; });
}

}  // namespace

TEST_CASE("a cluster another live process is creating is looked at, not changed", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto r = w.request(1);
    auto c = w.engine.create(r);
    hand_over(w.store, foreign_operation(c.id, /*alive=*/true, /*resumable=*/false));
    // What the owner would see as "still starting" must not fail the cluster for it.
    g_cloud.instances.begin()->second.state = core::ProviderState::Unhealthy;
    c = w.engine.refresh(c.id);
    CHECK(c.instances[0].state == State::Provisioning);
    CHECK(g_cloud.terminate_calls.empty());
}

TEST_CASE("a create whose owner died before it launched everything ends FAILED and released",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(2));
    hand_over(w.store, foreign_operation(c.id, /*alive=*/false, /*resumable=*/false));
    c = w.engine.refresh(c.id);
    CHECK(c.status() == State::Failed);
    CHECK(c.end_reason == core::EndReason::Interrupted);
    CHECK(c.end_detail == "grid was killed");
    for (const auto& i : c.instances)
        CHECK(i.state_reason == "interrupted: grid was killed");
    CHECK(g_cloud.instances.empty());  // released
    CHECK_FALSE(w.store.operation(c.id));
}

TEST_CASE("a create whose owner died after launching and setting up is resumed", "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(1));
    hand_over(w.store, foreign_operation(c.id, /*alive=*/false, /*resumable=*/true));
    g_cloud.instances.begin()->second = active();
    c = w.engine.refresh(c.id);
    // Taken up where it was: the machine is up, and ssh is what is waited for next.
    CHECK(c.instances[0].state == State::Configuring);
    CHECK_FALSE(g_cloud.instances.empty());
    CHECK_FALSE(w.store.operation(c.id));
}

TEST_CASE("a destroy asks the live owner to stop, and takes over from one that does not",
          "[engine]") {
    World w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto c = w.engine.create(w.request(1));
    // The owner is pid 1: it never answers a request to stop.
    hand_over(w.store, foreign_operation(c.id, /*alive=*/true, /*resumable=*/false));
    test::FakeClock clock;
    core::Engine impatient(w.store, w.config, core::Paths{w.dir / "config.toml", w.dir.path()},
                           w.observer, {&clock, nullptr});
    c = impatient.destroy(c.id, core::EndReason::DestroyedByUser, "", true);
    CHECK(c.status() == State::Destroyed);
    CHECK(g_cloud.instances.empty());
    CHECK(clock.slept() >= std::chrono::seconds(60));  // it waited its bound first
    bool taken = false;
    for (const auto& e : w.store.events(c.id))
        taken = taken || e.message.find("taken over from the grid process 1") == 0;
    CHECK(taken);
    CHECK_FALSE(w.store.operation(c.id));  // released once done
}

namespace {

// A world whose nodes are a fake shell and whose time is a fake clock: waits do not sleep.
struct ShellWorld : World {
    test::FakeClock clock;
    test::FakeShell shell;
    core::Engine engine{
        store, config, core::Paths{dir / "config.toml", dir.path()}, observer, {&clock, &shell}};
    ShellWorld() {
        // The machines come up as soon as they are launched.
        g_cloud.after_launch = [] {
            for (auto& [id, o] : g_cloud.instances)
                o = active();
        };
    }
};

}  // namespace

TEST_CASE("a node that answers ssh ends CONFIGURING; the jumphost checks the workers", "[engine]") {
    ShellWorld w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    auto r = w.request(1);
    r.wait = true;
    auto c = w.engine.create(r);
    CHECK(c.status() == State::Running);
    REQUIRE(w.shell.calls().size() == 1);
    CHECK(w.shell.calls()[0].instance_id == c.id + "-0");

    // Two workers: one ssh to the jumphost, which says which workers answer it.
    w.shell.answer([](const test::FakeShell::Call& call) {
        core::ShellResult res;
        res.exit_code = 0;
        const std::string id = call.instance_id.substr(0, call.instance_id.find('-'));
        res.out = "grid-ok " + id + "-0\ngrid-down " + id + "-1 Permission denied (publickey)\n";
        return res;
    });
    r = w.request(2);
    r.wait = false;
    c = w.engine.create(r);
    c = w.engine.refresh(c.id);
    CHECK(c.instances[0].state == State::Running);  // the jumphost
    CHECK(c.instances[1].state == State::Running);
    CHECK(c.instances[2].state == State::Failed);  // refused the key: waiting will not help
    CHECK(c.instances[2].state_reason.find("Permission denied") != std::string::npos);
    const auto calls = w.shell.calls();
    CHECK(calls.back().instance_id == c.id + "-jumphost");
    // The jumphost learns the workers' names and checks them in parallel, from inside.
    CHECK(calls.back().script.find("check " + c.id + "-0 &") != std::string::npos);
    CHECK(calls.back().script.find("check " + c.id + "-1 &") != std::string::npos);
}

TEST_CASE("a node that does not answer yet is asked again, spaced out, until the timeout",
          "[engine]") {
    ShellWorld w;
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    w.shell.answer([](const test::FakeShell::Call&) {
        core::ShellResult res;
        res.exit_code = 255;
        res.err = "ssh: connect to host 127.0.0.1 port 22: Connection refused\n";
        return res;
    });
    auto r = w.request(1);
    r.wait = true;
    r.timeout = std::chrono::seconds(60);
    try {
        w.engine.create(r);
        FAIL("created");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Timeout);
        CHECK(std::string(e.what()).find("Connection refused") != std::string::npos);
    }
    // Backed off to at most one probe every 5 s: about a dozen in 60 s, not hundreds.
    CHECK(w.shell.calls().size() > 5);
    CHECK(w.shell.calls().size() < 30);
}
