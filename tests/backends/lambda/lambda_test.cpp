// The Lambda provider end to end: grid's binary against the stateful fake of the API, with
// Prism in between checking every request and reply against the published spec.

#include <signal.h>
#include <unistd.h>

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "backends/lambda/catalog.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/fakes/lambda/fake_lambda.hpp"
#include "tests/support/prism.hpp"
#include "tests/support/support.hpp"

using namespace std::chrono_literals;

namespace {

constexpr const char* k_key = "lambda-test-key-0123456789";

// A fake Lambda account behind Prism, and a grid whose profile "lab" points at it.
struct World {
    test::Grid grid;
    test::TempDir fake_dir;
    fakes::FakeLambda fake;
    test::Prism prism;
    std::string config;

    // `limit`: the fake answers 429 to requests closer than this, and grid is told the limit.
    explicit World(bool ssh, const std::string& launch_interval = "50ms",
                   std::chrono::milliseconds limit = 0ms)
        : fake(options(ssh, fake_dir.path(), limit)), prism(started(fake)) {
        config = "[profiles.lab]\nprovider = \"lambda\"\napi_url = \"" + prism.url() +
                 "\"\napi_key_env = \"GRID_TEST_LAMBDA_KEY\"\nssh_user = \"" + user() +
                 "\"\nrequest_interval = \"" + std::to_string(std::max(limit, 10ms).count()) +
                 "ms\"\nlaunch_interval = \"" + launch_interval +
                 "\"\npoll_interval = \"200ms\"\ntimeout = \"5s\"\n";
        join(grid);
    }

    // Points a grid at this account: the key in its environment, the profile in its config.
    void join(test::Grid& g) const {
        g.add_env(std::string("GRID_TEST_LAMBDA_KEY=") + k_key);
        g.write_config(config);
    }

    ~World() {
        // Whatever a failed test left is destroyed while the fake still answers.
        grid.add_env(std::string("GRID_TEST_LAMBDA_KEY=") + k_key);
        grid.destroy_all();
        // Archived, they are not visited again once the fake is gone.
        const auto ended = grid.run({"cluster", "list", "-q", "--status", "DESTROYED,FAILED"});
        std::vector<std::string> args{"cluster", "archive"};
        for (std::size_t at = 0; at < ended.out.size();) {
            const auto nl = ended.out.find('\n', at);
            args.push_back(ended.out.substr(at, nl - at));
            at = nl == std::string::npos ? ended.out.size() : nl + 1;
        }
        if (args.size() > 2) grid.run(args);
    }

    static fakes::FakeLambdaOptions options(bool ssh, const std::filesystem::path& dir,
                                            std::chrono::milliseconds limit) {
        fakes::FakeLambdaOptions o;
        o.request_interval = limit;
        o.api_key = k_key;
        o.ssh = ssh;
        o.state_dir = dir;
        o.boot_delay = 100ms;
        o.terminate_delay = 100ms;
        return o;
    }

    static std::string started(fakes::FakeLambda& f) {
        f.start();
        return f.url();
    }

    static std::string user() {
        const char* u = std::getenv("USER");
        return u && *u ? u : (::geteuid() == 0 ? "root" : "user");
    }

    std::vector<std::string> lab(std::vector<std::string> args) const {
        args.insert(args.end(), {"--profile", "lab"});
        return args;
    }

    void check_spec(bool faults = false) const {
        const auto v = prism.violations(faults);
        INFO(prism.log());
        CHECK(v.empty());
    }
};

void require_root_for_ssh() {
    // The fake's instances listen on port 22 of their own loopback address, as cloud machines do.
    if (::geteuid() != 0) test::skip("the fake cloud's nodes listen on port 22, which needs root");
    test::require_sshd();
}

}  // namespace

TEST_CASE("Lambda type names map onto grid's", "[lambda]") {
    using backends::lambda::parse_type_name;
    CHECK(parse_type_name("gpu_8x_h100_sxm5").gpu_count == 8);
    CHECK(parse_type_name("gpu_8x_h100_sxm5").model == "H100");
    CHECK(parse_type_name("gpu_8x_h100_sxm5").variant == "SXM5");
    CHECK(parse_type_name("gpu_1x_gh200").model == "GH200");
    CHECK(parse_type_name("gpu_1x_gh200").variant.empty());
    CHECK(parse_type_name("cpu_4x_general").gpu_count == 0);
    CHECK(parse_type_name("gpu_x_h100").gpu_count == 0);

    std::vector<backends::lambda::ApiInstanceType> api = {
        {"gpu_1x_h100_sxm5", "", "", 329, 26, 225, 1, {"us-east-1"}},
        {"gpu_1x_h100_pcie", "", "", 249, 26, 225, 1, {}},
        {"gpu_8x_h100_sxm5", "", "", 2392, 208, 1800, 8, {"us-east-1", "us-west-1"}},
        {"odd_type", "", "", 10, 1, 1, 0, {}}};
    const auto m = backends::lambda::map_catalog(api);
    std::map<std::string, std::string> names;
    for (const auto& t : m)
        names[t.lambda_name] = t.type.name;
    CHECK(names["gpu_1x_h100_pcie"] == "1xH100");  // the cheaper one gets the plain name
    CHECK(names["gpu_1x_h100_sxm5"] == "1xH100-SXM5");
    CHECK(names["gpu_8x_h100_sxm5"] == "8xH100");
    CHECK(names["odd_type"] == "odd_type");
    for (const auto& t : m)
        if (t.lambda_name == "gpu_8x_h100_sxm5") {
            CHECK(t.type.price_per_hour == Approx(23.92));
            CHECK(t.type.gpu_memory_gb == 80);
            CHECK(t.type.regions.size() == 2);
            CHECK(t.type.available == 1);
        }
}

TEST_CASE("Prism reports a request that breaks the spec", "[lambda]") {
    // The check that every other test relies on can fail.
    World w(false);
    httplib::Client c(w.prism.url());
    const httplib::Headers auth{{"Authorization", std::string("Bearer ") + k_key}};
    const auto r = c.Post("/api/v1/instance-operations/terminate", auth, R"({"instance_ids":5})",
                          "application/json");
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK_FALSE(w.prism.violations().empty());
}

TEST_CASE("lambda: types come from the API through the spec", "[lambda]") {
    World w(false);
    const auto doc = w.grid.ok(w.lab({"types", "--json"})).json();
    CHECK(doc["provider"] == "lambda");
    std::set<std::string> names;
    for (const auto& t : doc["types"]) {
        names.insert(t["name"].get<std::string>());
        CHECK(t["emulated"] == false);
    }
    CHECK(names.count("8xH100"));
    CHECK(names.count("8xB200"));
    CHECK(names.count("1xA10"));
    CHECK(w.grid.ok(w.lab({"types"})).out.find("8xH100") != std::string::npos);
    w.check_spec();
}

TEST_CASE("lambda: a wrong key is exit 6 with a hint / nothing launched", "[lambda]") {
    World w(false);
    w.grid.add_env("GRID_TEST_LAMBDA_KEY=not-the-key");
    const auto r = w.grid.run(w.lab({"types"}));
    CHECK(r.code == 6);
    CHECK(r.err.find("grid: error: Lambda refused the API key") == 0);
    CHECK(r.err.find("hint: check the key in $GRID_TEST_LAMBDA_KEY") != std::string::npos);
    CHECK(r.err.find("not-the-key") == std::string::npos);  // never shown
    const auto c = w.grid.run(
        w.lab({"cluster", "create", "8xH100", "-i", w.grid.pubkey().string(), "-o", "json"}));
    CHECK(c.code == 6);
    CHECK(c.out.empty());
    CHECK(w.fake.instances().empty());
    // No key at all is the same exit code, and says where the key is expected.
    w.grid.add_env("GRID_TEST_LAMBDA_KEY=");
    const auto none = w.grid.run(w.lab({"types"}));
    CHECK(none.code == 6);
    CHECK(none.err.find("$GRID_TEST_LAMBDA_KEY is not set") != std::string::npos);
    w.check_spec();
}

TEST_CASE("lambda: the key from api_key_cmd / never from the config file", "[lambda]") {
    World w(false);
    const std::string base = "[profiles.lab]\nprovider = \"lambda\"\napi_url = \"" + w.prism.url() +
                             "\"\nrequest_interval = \"10ms\"\n";
    w.grid.write_config(base + "api_key_cmd = \"echo " + k_key + "\"\n");
    CHECK(w.grid.ok(w.lab({"types", "-q"})).out.find("8xH100") != std::string::npos);
    w.grid.write_config(base + "api_key_cmd = \"exit 3\"\n");
    const auto failed = w.grid.run(w.lab({"types"}));
    CHECK(failed.code == 6);
    CHECK(failed.err.find("api_key_cmd of [profiles.lab] failed (exit 3)") != std::string::npos);
    w.grid.write_config(base + "api_key = \"" + k_key + "\"\n");
    const auto in_file = w.grid.run(w.lab({"types"}));
    CHECK(in_file.code == 2);
    CHECK(in_file.err.find("grid does not keep keys in files") != std::string::npos);
    CHECK(in_file.err.find(k_key) == std::string::npos);
    w.check_spec();
}

TEST_CASE("lambda: no capacity is exit 5 and leaves nothing running", "[lambda]") {
    World w(false);
    w.fake.set_capacity("gpu_8x_h100_sxm5", "us-east-1", 1);  // one node of the two
    const auto r = w.grid.run(
        w.lab({"cluster", "create", "8xH100", "-n", "2", "-i", w.grid.pubkey().string()}));
    INFO(r.err);
    CHECK(r.code == 5);
    CHECK(r.err.find("no capacity") != std::string::npos);
    CHECK(r.err.find("hint:") != std::string::npos);
    CHECK(w.fake.running() == 0);
    CHECK(w.fake.instances().size() ==
          2);  // the jumphost and one worker were launched, then let go
    const auto list = w.grid.ok({"cluster", "list", "--json"}).json();
    REQUIRE(list["clusters"].size() == 1);
    CHECK(list["clusters"][0]["status"] == "FAILED");
    // A region without room fails before anything is launched, and says where there is some.
    const auto west = w.grid.run(w.lab(
        {"cluster", "create", "8xH100", "--region", "us-west-1", "-i", w.grid.pubkey().string()}));
    CHECK(west.code == 5);
    CHECK(west.err.find("no capacity for 8xH100 in us-west-1") != std::string::npos);
    CHECK(west.err.find("hint: regions with capacity now: us-east-1") != std::string::npos);
    CHECK(w.fake.instances().size() == 2);
    // A type with no room anywhere fails before anything is launched.
    w.fake.set_capacity("gpu_8x_b200_sxm6", "us-east-1", 0);
    const auto b =
        w.grid.run(w.lab({"cluster", "create", "8xB200", "-i", w.grid.pubkey().string()}));
    CHECK(b.code == 5);
    CHECK(w.fake.instances().size() == 2);
    w.check_spec();
}

TEST_CASE("lambda: a 1-node cluster is created / reached over ssh / destroyed", "[lambda]") {
    require_root_for_ssh();
    World w(true);
    const std::string id = w.grid.create(w.lab({"1xH100"}));
    const auto info = w.grid.ok({"cluster", "info", id, "--json"}).json();
    CHECK(info["status"] == "RUNNING");
    CHECK(info["provider"] == "lambda");
    CHECK(info["profile"] == "lab");
    REQUIRE(info["instances"].size() == 1);
    CHECK(info["instances"][0]["public_ip"].get<std::string>().rfind("127.77.", 0) == 0);
    CHECK(w.grid.ok({"ssh", id, "--", "echo hello"}).out == "hello\n");
    CHECK(w.grid.run({"ssh", id, "--", "exit 7"}).code == 7);
    // The cheaper 1xH100 (PCIe) was launched, under grid's name for the instance.
    const auto at_fake = w.fake.instances();
    REQUIRE(at_fake.size() == 1);
    CHECK(at_fake[0].name == id + "-0");
    CHECK(at_fake[0].type == "gpu_1x_h100_pcie");
    CHECK(at_fake[0].ssh_key_names == std::vector<std::string>{"grid-" + id});

    w.grid.ok({"cluster", "destroy", id, "--yes"});
    CHECK(w.fake.running() == 0);
    CHECK(w.grid.ok({"cluster", "info", id, "--json"}).json()["status"] == "DESTROYED");
    w.check_spec();
}

TEST_CASE("lambda: 3 nodes behind a jumphost / one list call per look", "[lambda]") {
    require_root_for_ssh();
    World w(true);
    const std::string id = w.grid.create(w.lab({"8xH100", "-n", "3"}));
    const auto info = w.grid.ok({"cluster", "info", id, "--json"}).json();
    CHECK(info["status"] == "RUNNING");
    REQUIRE(info["instances"].size() == 4);
    for (const std::string& node : {id + "-jumphost", id + "-0", id + "-2"})
        CHECK(w.grid.ok({"ssh", node, "--", "echo ok"}).out == "ok\n");
    const auto cfg = w.grid.ok({"ssh-config"}).out;
    CHECK(cfg.find("ProxyJump " + id + "-jumphost") != std::string::npos);
    std::map<std::string, std::string> types;
    for (const auto& i : w.fake.instances())
        types[i.name] = i.type;
    CHECK(types[id + "-jumphost"] == "gpu_1x_a10");  // the cheapest type serves as jumphost
    CHECK(types[id + "-1"] == "gpu_8x_h100_sxm5");
    for (const auto& [name, n] : w.fake.launches_by_name())
        CHECK(n == 1);
    // Instances are looked at in one batched list call, never one by one.
    CHECK(w.fake.requests("GET /api/v1/instances/") == 0);
    CHECK(w.fake.requests("GET /api/v1/instances") > 0);

    w.grid.ok({"cluster", "destroy", id, "--yes"});
    CHECK(w.fake.running() == 0);
    w.check_spec();
}

TEST_CASE("lambda: 30% 429 and 10% 500 / the create succeeds without duplicates", "[lambda]") {
    require_root_for_ssh();
    World w(true);
    fakes::Faults f;
    f.rate_limited = 0.3;
    f.server_error = 0.1;
    f.retry_after_s = 1;
    f.faults_after_acting = true;  // a 500 to a launch may come after the launch happened
    w.fake.set_faults(f);
    const std::string id = w.grid.create(w.lab({"8xH100", "-n", "2"}));
    CHECK(w.grid.ok({"cluster", "info", id, "--json"}).json()["status"] == "RUNNING");
    for (const auto& [name, n] : w.fake.launches_by_name()) {
        INFO(name);
        CHECK(n == 1);
    }
    w.grid.ok({"cluster", "destroy", id, "--yes"});
    w.fake.set_faults({});
    CHECK(w.fake.running() == 0);
    // The faults did happen, on the way through Prism.
    CHECK(w.prism.log().find("has returned 429") != std::string::npos);
    CHECK(w.prism.log().find("has returned 500") != std::string::npos);
    w.check_spec(/*faults=*/true);
}

TEST_CASE("lambda: a preempted node fails its cluster with that reason", "[lambda]") {
    require_root_for_ssh();
    World w(true);
    const std::string id = w.grid.create(w.lab({"1xH100"}));
    const auto at_fake = w.fake.instances();
    REQUIRE(at_fake.size() == 1);
    w.fake.set_status(at_fake[0].id, "preempted");
    w.grid.ok({"cluster", "list", "--refresh"});
    const auto info = w.grid.ok({"cluster", "info", id, "--json"}).json();
    CHECK(info["status"] == "FAILED");
    CHECK(info["instances"][0]["status_reason"].get<std::string>().rfind("preempted", 0) == 0);
    // A failed machine may still be billed: destroy asks for it to go as well.
    w.grid.ok({"cluster", "destroy", id, "--yes"});
    for (int i = 0; i < 50 && w.fake.running() > 0; ++i)
        std::this_thread::sleep_for(100ms);
    CHECK(w.fake.running() == 0);
    CHECK(w.fake.requests("POST /api/v1/instance-operations/terminate") >= 1);
    w.check_spec();
}

TEST_CASE("lambda: Ctrl-C at any point of a create leaves nothing running after destroy",
          "[lambda]") {
    // Interrupted after the first launch, after the second, and while waiting for ssh.
    for (const std::size_t launched : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
        INFO("interrupted after " << launched << " launches");
        World w(false, "300ms");
        std::vector<std::string> argv{GRID_BINARY, "cluster", "create", "8xH100",
                                      "-n",        "3",       "-i",     w.grid.pubkey().string(),
                                      "--profile", "lab"};
        const pid_t pid = core::spawn_detached(argv, w.grid.env(), "/dev/null");
        for (int i = 0; i < 300 && w.fake.instances().size() < launched; ++i)
            std::this_thread::sleep_for(20ms);
        REQUIRE(w.fake.instances().size() >= launched);
        ::kill(pid, SIGINT);
        for (int i = 0; i < 600 && core::process_alive(pid); ++i)
            std::this_thread::sleep_for(50ms);
        REQUIRE_FALSE(core::process_alive(pid));
        // Whatever the create did not clean up itself, destroy does.
        const auto ids = w.grid.ok({"cluster", "list", "-q"}).out;
        REQUIRE(ids.size() >= 8);
        w.grid.ok({"cluster", "destroy", ids.substr(0, 8), "--yes"});
        for (int i = 0; i < 50 && w.fake.running() > 0; ++i)
            std::this_thread::sleep_for(100ms);
        CHECK(w.fake.running() == 0);
        for (const auto& [name, n] : w.fake.launches_by_name())
            CHECK(n == 1);
        const auto info = w.grid.ok({"cluster", "info", ids.substr(0, 8), "--json"}).json();
        CHECK((info["status"] == "DESTROYED" || info["status"] == "FAILED"));
        w.check_spec();
    }
}

TEST_CASE("lambda: -vv traces the API traffic without the key", "[lambda]") {
    World w(false);
    const auto r = w.grid.run(w.lab({"types", "-vv"}));
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.err.find("> GET /api/v1/instance-types") != std::string::npos);
    CHECK(r.err.find("Authorization: <redacted>") != std::string::npos);
    CHECK(r.err.find("< HTTP/1.1 200") != std::string::npos);
    CHECK(r.err.find(k_key) == std::string::npos);
    // Without -vv there is no trace.
    CHECK(w.grid.ok(w.lab({"types"})).err.empty());
    // The key is not in grid's files either.
    core::RunOptions o;
    o.timeout = 30s;
    CHECK(core::run({"grep", "-rl", k_key, w.grid.state_dir().string()}, o).out.empty());
    w.check_spec();
}

TEST_CASE("lambda: list --refresh finds instances the store does not know / destroys them",
          "[lambda]") {
    World w(false);
    const std::string a = w.grid.create(w.lab({"8xH100", "-n", "2", "--no-wait"}));
    const std::string b = w.grid.create(w.lab({"1xH100", "--no-wait"}));
    REQUIRE(w.fake.running() == 4);

    // The same account seen from a store that never heard of them (a lost store, a laptop).
    test::Grid other;
    w.join(other);
    const auto found = other.run({"cluster", "list", "--refresh", "-o", "json"});
    REQUIRE(found.code == 0);
    INFO(found.err);
    CHECK(found.err.find(a + ": 3 instances at lambda (lab) named by grid but unknown to this "
                             "store") != std::string::npos);
    std::map<std::string, nlohmann::json> listed;
    const auto doc = found.json();
    for (const auto& c : doc["clusters"])
        listed[c["id"].get<std::string>()] = c;
    REQUIRE(listed.size() == 2);
    CHECK(listed[a]["status"] == "FAILED");
    CHECK(listed[a]["type"] == "8xH100");
    CHECK(listed[a]["nodes"] == 2);
    CHECK(listed[a]["profile"] == "lab");
    CHECK(listed[b]["type"] == "1xH100");
    const auto info = other.ok({"cluster", "info", a, "--json"}).json();
    REQUIRE(info["instances"].size() == 3);
    CHECK(info["instances"][0]["id"] == a + "-jumphost");

    // Recorded once; from then on a refresh of the whole account is one request.
    int before = w.fake.requests("");
    CHECK(other.ok({"cluster", "list", "--refresh", "-q"}).out.size() == 2 * 9);
    CHECK(w.fake.requests("") - before == 1);
    before = w.fake.requests("");
    w.grid.ok({"cluster", "list", "--refresh"});
    CHECK(w.fake.requests("") - before == 1);

    other.ok({"cluster", "destroy", a, b, "--yes"});
    for (int i = 0; i < 50 && w.fake.running() > 0; ++i)
        std::this_thread::sleep_for(100ms);
    CHECK(w.fake.running() == 0);
    w.check_spec();
}

TEST_CASE("lambda: the profile's jumphost_type and file_systems reach the launches", "[lambda]") {
    World w(false);
    w.config += "jumphost_type = \"1xH100\"\nfile_systems = [\"shared-fs\"]\n";
    w.join(w.grid);
    const std::string id = w.grid.create(w.lab({"8xH100", "-n", "2", "--no-wait"}));
    std::map<std::string, fakes::FakeInstance> at_fake;
    for (const auto& i : w.fake.instances())
        at_fake[i.name] = i;
    REQUIRE(at_fake.size() == 3);
    CHECK(at_fake[id + "-jumphost"].type == "gpu_1x_h100_pcie");  // grid's name, mapped
    CHECK(at_fake[id + "-0"].type == "gpu_8x_h100_sxm5");
    for (const auto& [name, i] : at_fake)
        CHECK(i.file_system_names == std::vector<std::string>{"shared-fs"});

    // A jumphost type the provider does not sell is a usage error before anything launches.
    w.config += "[profiles.odd]\nprovider = \"lambda\"\napi_url = \"" + w.prism.url() +
                "\"\napi_key_env = \"GRID_TEST_LAMBDA_KEY\"\njumphost_type = \"9xZ1\"\n";
    w.join(w.grid);
    const auto r = w.grid.run({"cluster", "create", "8xH100", "-n", "2", "--profile", "odd",
                               "--no-wait", "-i", w.grid.pubkey().string()});
    CHECK(r.code == 2);
    INFO(r.err);
    CHECK(r.err.find("jumphost_type '9xZ1' in [profiles.odd] is not a type of lambda") !=
          std::string::npos);
    CHECK(w.fake.running() == 3);
    CHECK(w.grid.ok({"cluster", "list", "-q"}).out == id + "\n");  // nothing recorded
    w.check_spec();
}

TEST_CASE("lambda: requests keep to the account's rate limit / retries included", "[lambda]") {
    // The fake refuses requests that arrive closer than 150 ms; Prism in between adds its own
    // delay, so that sending on time is not enough: the interval counts from the reply.
    World w(false, "300ms", 150ms);
    const std::string id = w.grid.create(w.lab({"8xH100", "-n", "2", "--no-wait"}));
    w.grid.ok({"cluster", "list", "--refresh"});  // each grid process starts where the last ended
    w.grid.ok({"cluster", "list", "--refresh"});
    w.grid.ok({"cluster", "destroy", id, "--yes"});
    CHECK(w.prism.log().find("has returned 429") == std::string::npos);
    CHECK(w.fake.running() == 0);
    w.check_spec();
}

TEST_CASE("lambda: stalled replies time out / the launches they carried are not doubled",
          "[lambda]") {
    World w(false);
    const auto at = w.config.find("timeout = \"5s\"");
    REQUIRE(at != std::string::npos);
    w.config.replace(at, 15, "timeout = \"2s\"");
    w.join(w.grid);
    fakes::Faults f;
    f.stall = 1;  // every launch
    f.only = "POST /api/v1/instance-operations/launch";
    // Longer than grid waits for a reply, and then some: the request is carried out after all.
    f.stall_for = 3500ms;
    w.fake.set_faults(f);
    const std::string id = w.grid.create(w.lab({"8xH100", "-n", "2", "--no-wait"}));
    for (const auto& [name, n] : w.fake.launches_by_name()) {
        INFO(name);
        CHECK(n == 1);
    }
    // Each was sent once: found by name once it was carried out.
    CHECK(w.fake.requests("POST /api/v1/instance-operations/launch") == 3);
    CHECK(w.fake.running() == 3);
    w.grid.ok({"cluster", "destroy", id, "--yes"});
    w.fake.set_faults({});
    CHECK(w.fake.running() == 0);
}
