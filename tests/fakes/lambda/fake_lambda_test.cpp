// The fake Lambda Cloud API, driven with plain HTTP requests.
#include "tests/fakes/lambda/fake_lambda.hpp"

#include <pwd.h>
#include <unistd.h>

#include <httplib.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/ssh.hpp"
#include "tests/support/support.hpp"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct Api {
    httplib::Client cli;

    explicit Api(const std::string& url, const std::string& key = "test-key") : cli(url) {
        if (!key.empty()) cli.set_bearer_token_auth(key.c_str());
        cli.set_connection_timeout(5, 0);
        cli.set_read_timeout(15, 0);
    }
    httplib::Result get(const std::string& path) { return cli.Get(path.c_str()); }
    httplib::Result post(const std::string& path, const json& body) {
        return cli.Post(path.c_str(), body.dump(), "application/json");
    }
    httplib::Result del(const std::string& path) { return cli.Delete(path.c_str()); }
};

json body_of(const httplib::Result& r) {
    REQUIRE(r);
    const json j = json::parse(r->body, nullptr, false);
    REQUIRE(j.is_object());
    return j;
}

fakes::FakeLambdaOptions quick() {
    fakes::FakeLambdaOptions o;
    o.ssh = false;
    o.boot_delay = 50ms;
    o.terminate_delay = 50ms;
    return o;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

const std::string k_pubkey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICN+lJwsONkwrdsSnQsu1ydUkIuIg5oOC+Eslvmtt60T test";

void add_key(Api& api, const std::string& name = "grid-key", const std::string& key = k_pubkey) {
    const auto r = api.post("/api/v1/ssh-keys", {{"name", name}, {"public_key", key}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
}

json launch_body(const std::string& name, const std::string& type = "gpu_1x_a10",
                 const std::string& region = "us-east-1") {
    return {{"region_name", region},
            {"instance_type_name", type},
            {"ssh_key_names", {"grid-key"}},
            {"name", name}};
}

std::string launch(Api& api, const json& body) {
    const auto r = api.post("/api/v1/instance-operations/launch", body);
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    const json j = body_of(r);
    REQUIRE(j.size() == 1);
    REQUIRE(j["data"]["instance_ids"].size() == 1);
    return j["data"]["instance_ids"][0].get<std::string>();
}

json instance(Api& api, const std::string& id) {
    const auto r = api.get("/api/v1/instances/" + id);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return body_of(r)["data"];
}

void check_instance_shape(const json& i) {
    for (const char* k : {"id", "status", "ssh_key_names", "file_system_names", "region",
                          "instance_type", "actions"})
        CHECK(i.contains(k));
    CHECK(i["region"].contains("description"));
    for (const char* k : {"name", "description", "gpu_description", "price_cents_per_hour"})
        CHECK(i["instance_type"].contains(k));
    for (const char* k : {"vcpus", "memory_gib", "storage_gib", "gpus"})
        CHECK(i["instance_type"]["specs"].contains(k));
    for (const char* k : {"migrate", "rebuild", "restart", "cold_reboot", "terminate"})
        CHECK(i["actions"][k]["available"].is_boolean());
}

}  // namespace

TEST_CASE("fake lambda rejects a missing or wrong API key") {
    fakes::FakeLambda fake(quick());
    fake.start();
    const json expected = {
        {"error",
         {{"code", "global/invalid-api-key"},
          {"message", "API key was invalid, expired, or deleted."},
          {"suggestion", "Check your API key or create a new one, then try again."}}}};

    Api none(fake.url(), "");
    auto r = none.get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(body_of(r) == expected);

    Api wrong(fake.url(), "not-the-key");
    r = wrong.get("/api/v1/instance-types");
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(body_of(r) == expected);

    // Basic: base64 of "KEY:", or the raw key.
    httplib::Client basic(fake.url());
    basic.set_basic_auth("test-key", "");
    r = basic.Get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 200);
    r = basic.Get("/api/v1/instances", {{"Authorization", "Basic test-key"}});
    REQUIRE(r);
    CHECK(r->status == 200);

    Api ok(fake.url());
    r = ok.get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(body_of(r) == json{{"data", json::array()}});
    CHECK(fake.requests("GET /api/v1/instances") == 4);
    CHECK(fake.requests("GET /api/v1/instance-types") == 1);
    CHECK(fake.requests("GET ") == 5);
}

TEST_CASE("fake lambda serves its catalog and regions and file systems") {
    fakes::FakeLambda fake(quick());
    fake.start();
    Api api(fake.url());

    const json types = body_of(api.get("/api/v1/instance-types"))["data"];
    CHECK(types.size() == 5);
    for (const char* name : {"gpu_1x_a10", "gpu_1x_h100_pcie", "gpu_1x_h100_sxm5",
                             "gpu_8x_h100_sxm5", "gpu_8x_b200_sxm6"}) {
        INFO(name);
        REQUIRE(types.contains(name));
        const json& t = types[name];
        CHECK(t.size() == 2);
        CHECK(t["instance_type"]["name"] == name);
        CHECK(t["regions_with_capacity_available"] ==
              json::array({{{"name", "us-east-1"}, {"description", "Virginia, USA"}}}));
    }
    CHECK_FALSE(types.contains("gpu_8x_h200_sxm5"));
    const json& a10 = types["gpu_1x_a10"]["instance_type"];
    CHECK(a10["price_cents_per_hour"] == 75);
    CHECK(a10["specs"] ==
          json{{"vcpus", 30}, {"memory_gib", 200}, {"storage_gib", 1400}, {"gpus", 1}});
    CHECK(types["gpu_1x_h100_pcie"]["instance_type"]["price_cents_per_hour"] == 249);
    CHECK(types["gpu_1x_h100_sxm5"]["instance_type"]["price_cents_per_hour"] == 329);
    CHECK(types["gpu_8x_h100_sxm5"]["instance_type"]["price_cents_per_hour"] == 2392);
    CHECK(types["gpu_8x_b200_sxm6"]["instance_type"]["price_cents_per_hour"] == 3992);
    CHECK(types["gpu_8x_b200_sxm6"]["instance_type"]["specs"]["gpus"] == 8);

    fake.set_capacity("gpu_1x_a10", "us-west-1", 2);
    fake.set_capacity("gpu_1x_a10", "us-east-1", 0);
    const json a10_regions = body_of(
        api.get("/api/v1/instance-types"))["data"]["gpu_1x_a10"]["regions_with_capacity_available"];
    CHECK(a10_regions ==
          json::array({{{"name", "us-west-1"}, {"description", "California, USA"}}}));

    const json regions = body_of(api.get("/api/v1/regions"))["data"];
    CHECK(regions == json::array({{{"name", "us-east-1"}, {"description", "Virginia, USA"}},
                                  {{"name", "us-west-1"}, {"description", "California, USA"}}}));

    const json fs = body_of(api.get("/api/v1/file-systems"))["data"];
    REQUIRE(fs.size() == 1);
    CHECK(fs[0]["name"] == "shared-fs");
    CHECK(fs[0]["region"]["name"] == "us-east-1");
    CHECK(fs[0]["is_in_use"] == false);

    const auto r = api.get("/api/v1/no-such-thing");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(body_of(r)["error"]["code"] == "global/not-found");
}

TEST_CASE("fake lambda launches an instance that boots and becomes active") {
    auto o = quick();
    o.boot_delay = 300ms;
    fakes::FakeLambda fake(o);
    fake.start();
    Api api(fake.url());
    add_key(api);

    json body = launch_body("abc-0");
    body["file_system_names"] = {"shared-fs"};
    const std::string id = launch(api, body);
    CHECK(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);

    json i = instance(api, id);
    check_instance_shape(i);
    CHECK(i["status"] == "booting");
    CHECK(i["name"] == "abc-0");
    CHECK_FALSE(i.contains("ip"));
    CHECK(i["ssh_key_names"] == json::array({"grid-key"}));
    CHECK(i["file_system_names"] == json::array({"shared-fs"}));
    CHECK(i["instance_type"]["name"] == "gpu_1x_a10");
    CHECK(i["region"] == json{{"name", "us-east-1"}, {"description", "Virginia, USA"}});
    CHECK(fake.running() == 1);

    REQUIRE(eventually([&] { return instance(api, id)["status"] == "active"; }));
    i = instance(api, id);
    check_instance_shape(i);
    const std::string ip = i["ip"].get<std::string>();
    CHECK(ip.rfind("127.77.", 0) == 0);
    CHECK(i["private_ip"] == ip);
    CHECK(i["hostname"].is_string());

    const json list = body_of(api.get("/api/v1/instances"))["data"];
    REQUIRE(list.size() == 1);
    CHECK(list[0] == i);
    CHECK(body_of(api.get("/api/v1/file-systems"))["data"][0]["is_in_use"] == true);

    const auto all = fake.instances();
    REQUIRE(all.size() == 1);
    CHECK(all[0].id == id);
    CHECK(all[0].status == "active");
    CHECK(all[0].type == "gpu_1x_a10");
    CHECK(all[0].region == "us-east-1");
    CHECK(all[0].ip == ip);

    // Names are not unique on Lambda: a second launch with the same name is a second instance.
    const std::string again = launch(api, launch_body("abc-0"));
    CHECK(again != id);
    CHECK(fake.launches_by_name() == std::map<std::string, int>{{"abc-0", 2}});
    CHECK(fake.running() == 2);
}

TEST_CASE("fake lambda validates launches and reports insufficient capacity") {
    fakes::FakeLambda fake(quick());
    fake.start();
    Api api(fake.url());
    add_key(api);
    const std::string launch_path = "/api/v1/instance-operations/launch";

    SECTION("exactly one existing ssh key") {
        json body = launch_body("x-0");
        body["ssh_key_names"] = json::array();
        auto r = api.post(launch_path, body);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(body_of(r)["error"]["code"] == "global/invalid-parameters");

        body["ssh_key_names"] = {"grid-key", "grid-key"};
        r = api.post(launch_path, body);
        REQUIRE(r);
        CHECK(r->status == 400);

        body["ssh_key_names"] = {"nobody"};
        r = api.post(launch_path, body);
        REQUIRE(r);
        CHECK(r->status == 404);
        const json e = body_of(r)["error"];
        CHECK(e["code"] == "global/object-does-not-exist");
        CHECK(e.contains("message"));
        CHECK(e.contains("suggestion"));
    }
    SECTION("known type and region") {
        auto r = api.post(launch_path, launch_body("x-0", "gpu_8x_h200_sxm5"));
        REQUIRE(r);
        CHECK(r->status == 404);
        CHECK(body_of(r)["error"]["code"] == "global/object-does-not-exist");
        r = api.post(launch_path, launch_body("x-0", "gpu_1x_a10", "eu-north-9"));
        REQUIRE(r);
        CHECK(r->status == 404);
        CHECK(body_of(r)["error"]["code"] == "global/object-does-not-exist");
        r = api.post(launch_path, json{{"name", "x-0"}});
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(body_of(r)["error"]["code"] == "global/invalid-parameters");
    }
    SECTION("file systems exist in the region") {
        json body = launch_body("x-0");
        body["file_system_names"] = {"nope"};
        auto r = api.post(launch_path, body);
        REQUIRE(r);
        CHECK(r->status == 404);
        fake.set_capacity("gpu_1x_a10", "us-west-1", 1);
        body = launch_body("x-0", "gpu_1x_a10", "us-west-1");
        body["file_system_names"] = {"shared-fs"};
        r = api.post(launch_path, body);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(body_of(r)["error"]["code"] ==
              "instance-operations/launch/file-system-in-wrong-region");
    }
    SECTION("capacity is consumed and returned") {
        auto r = api.post(launch_path, launch_body("x-0", "gpu_1x_a10", "us-west-1"));
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(body_of(r)["error"]["code"] == "instance-operations/launch/insufficient-capacity");

        fake.set_capacity("gpu_1x_a10", "us-east-1", 1);
        const std::string id = launch(api, launch_body("x-0"));
        r = api.post(launch_path, launch_body("x-1"));
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(body_of(r)["error"]["code"] == "instance-operations/launch/insufficient-capacity");
        CHECK(body_of(api.get(
            "/api/v1/instance-types"))["data"]["gpu_1x_a10"]["regions_with_capacity_available"]
                  .empty());
        // Other types are not affected.
        launch(api, launch_body("y-0", "gpu_1x_h100_pcie"));

        r = api.post("/api/v1/instance-operations/terminate", {{"instance_ids", {id}}});
        REQUIRE(r);
        REQUIRE(r->status == 200);
        REQUIRE(eventually([&] { return fake.running() == 1; }));
        launch(api, launch_body("x-1"));
        CHECK(fake.launches_by_name() ==
              std::map<std::string, int>{{"x-0", 1}, {"x-1", 1}, {"y-0", 1}});
    }
}

TEST_CASE("fake lambda terminates instances and forgets them after the delay") {
    auto o = quick();
    o.terminate_delay = 300ms;
    fakes::FakeLambda fake(o);
    fake.start();
    Api api(fake.url());
    add_key(api);
    const std::string a = launch(api, launch_body("t-0"));
    const std::string b = launch(api, launch_body("t-1"));
    REQUIRE(eventually([&] { return instance(api, a)["status"] == "active"; }));

    const std::string path = "/api/v1/instance-operations/terminate";
    auto r = api.post(path, {{"instance_ids", {a, "0123456789abcdef0123456789abcdef"}}});
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(body_of(r)["error"]["code"] == "global/object-does-not-exist");
    CHECK(instance(api, a)["status"] == "active");  // nothing done

    r = api.post(path, {{"instance_ids", {a}}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const json reply = body_of(r);
    REQUIRE(reply["data"]["terminated_instances"].size() == 1);
    const json t = reply["data"]["terminated_instances"][0];
    check_instance_shape(t);
    CHECK(t["id"] == a);
    CHECK(t["status"] == "terminating");
    CHECK(instance(api, a)["status"] == "terminating");
    CHECK(fake.running() == 2);

    REQUIRE(eventually([&] {
        const auto g = api.get("/api/v1/instances/" + a);
        return g && g->status == 404;
    }));
    r = api.get("/api/v1/instances/" + a);
    CHECK(body_of(r)["error"]["code"] == "global/object-does-not-exist");
    const json list = body_of(api.get("/api/v1/instances"))["data"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["id"] == b);
    CHECK(fake.running() == 1);
    const auto all = fake.instances();
    REQUIRE(all.size() == 2);
    CHECK(all[0].status == "terminated");

    // A terminated instance cannot be terminated again.
    r = api.post(path, {{"instance_ids", {a}}});
    REQUIRE(r);
    CHECK(r->status == 404);
}

TEST_CASE("fake lambda rate limits launches closer than the launch interval") {
    auto o = quick();
    o.launch_interval = 1500ms;
    fakes::FakeLambda fake(o);
    fake.start();
    Api api(fake.url());
    add_key(api);
    launch(api, launch_body("r-0"));
    const auto r = api.post("/api/v1/instance-operations/launch", launch_body("r-1"));
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(r->get_header_value("Retry-After") == "2");
    CHECK(body_of(r)["error"]["code"] == "global/rate-limited");
    // Other requests are not limited.
    const auto list = api.get("/api/v1/instances");
    REQUIRE(list);
    CHECK(list->status == 200);
    CHECK(fake.launches_by_name() == std::map<std::string, int>{{"r-0", 1}});

    std::this_thread::sleep_for(1600ms);
    launch(api, launch_body("r-1"));
    CHECK(fake.requests("POST /api/v1/instance-operations/launch") == 3);
}

TEST_CASE("fake lambda rate limits requests closer than the request interval") {
    auto o = quick();
    o.request_interval = 500ms;
    fakes::FakeLambda fake(o);
    fake.start();
    Api api(fake.url());
    auto r = api.get("/api/v1/regions");
    REQUIRE(r);
    CHECK(r->status == 200);
    r = api.get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(r->get_header_value("Retry-After") == "1");
    std::this_thread::sleep_for(600ms);
    r = api.get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("fake lambda injects faults at roughly the set rates") {
    fakes::FakeLambda fake(quick());
    fake.start();
    fakes::Faults f;
    f.rate_limited = 0.15;
    f.server_error = 0.15;
    f.reset = 0.15;
    f.retry_after_s = 3;
    fake.set_faults(f);
    Api api(fake.url());
    int ok = 0, limited = 0, errors = 0, resets = 0, other = 0;
    for (int n = 0; n < 200; ++n) {
        const auto r = api.get("/api/v1/instance-types");
        if (!r) {
            ++resets;
        } else if (r->status == 200) {
            ++ok;
            CHECK(body_of(r)["data"].size() == 5);
        } else if (r->status == 429) {
            ++limited;
            CHECK(r->get_header_value("Retry-After") == "3");
            CHECK(body_of(r)["error"]["code"] == "global/rate-limited");
        } else if (r->status == 500) {
            ++errors;
            const json e = body_of(r)["error"];
            CHECK(e["code"] == "global/internal-error");
            CHECK(e.contains("message"));
            CHECK(e.contains("suggestion"));
        } else {
            ++other;
        }
    }
    INFO("ok " << ok << " 429 " << limited << " 500 " << errors << " reset " << resets);
    // Expected: 30 rate limited, 25.5 errors, 21.7 resets, 122.8 served.
    CHECK(other == 0);
    CHECK(limited >= 12);
    CHECK(limited <= 55);
    CHECK(errors >= 10);
    CHECK(errors <= 50);
    CHECK(resets >= 8);
    CHECK(resets <= 45);
    CHECK(ok >= 80);
    CHECK(fake.requests("GET /api/v1/instance-types") == 200);

    // Faults come after authentication.
    fakes::Faults all;
    all.rate_limited = all.server_error = all.reset = 1.0;
    fake.set_faults(all);
    Api wrong(fake.url(), "wrong");
    const auto r = wrong.get("/api/v1/instances");
    REQUIRE(r);
    CHECK(r->status == 401);
}

TEST_CASE("fake lambda draws faults only for the requests named") {
    fakes::FakeLambda fake(quick());
    fake.start();
    fakes::Faults f;
    f.server_error = 1.0;
    f.only = "POST /api/v1/ssh-keys";
    fake.set_faults(f);
    Api api(fake.url());
    CHECK(api.get("/api/v1/ssh-keys")->status == 200);
    CHECK(api.post("/api/v1/ssh-keys", {{"name", "k"}})->status == 500);
}

TEST_CASE("fake lambda stalls replies") {
    fakes::FakeLambda fake(quick());
    fake.start();
    fakes::Faults f;
    f.stall = 1.0;
    f.stall_for = 400ms;
    fake.set_faults(f);
    Api api(fake.url());
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = api.get("/api/v1/regions");
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(took >= 400ms);

    // Stalled requests do not hold the others up.
    f.stall_for = 3000ms;
    fake.set_faults(f);
    std::vector<std::thread> threads;
    std::atomic<int> served{0};
    const auto t1 = std::chrono::steady_clock::now();
    for (int n = 0; n < 8; ++n)
        threads.emplace_back([&] {
            Api a(fake.url());
            const auto x = a.get("/api/v1/regions");
            if (x && x->status == 200) ++served;
        });
    for (auto& t : threads)
        t.join();
    CHECK(served == 8);
    CHECK(std::chrono::steady_clock::now() - t1 < 6000ms);
}

TEST_CASE("fake lambda carries out a launch before an ambiguous fault") {
    fakes::FakeLambda fake(quick());
    fake.start();
    Api api(fake.url());
    add_key(api);
    const std::string path = "/api/v1/instance-operations/launch";

    fakes::Faults f;
    f.server_error = 1.0;
    fake.set_faults(f);
    auto r = api.post(path, launch_body("amb-0"));
    REQUIRE(r);
    CHECK(r->status == 500);
    CHECK(fake.launches_by_name().empty());

    f.faults_after_acting = true;
    fake.set_faults(f);
    r = api.post(path, launch_body("amb-0"));
    REQUIRE(r);
    CHECK(r->status == 500);
    CHECK(fake.launches_by_name() == std::map<std::string, int>{{"amb-0", 1}});

    f.server_error = 0;
    f.reset = 1.0;
    fake.set_faults(f);
    r = api.post(path, launch_body("amb-1"));
    CHECK_FALSE(r);
    CHECK(fake.launches_by_name() == std::map<std::string, int>{{"amb-0", 1}, {"amb-1", 1}});

    fake.set_faults({});
    const json list = body_of(api.get("/api/v1/instances"))["data"];
    CHECK(list.size() == 2);
    CHECK(fake.running() == 2);
    CHECK(fake.requests("POST /api/v1/instance-operations/launch") == 3);
}

TEST_CASE("fake lambda manages ssh keys") {
    fakes::FakeLambda fake(quick());
    fake.start();
    Api api(fake.url());
    CHECK(body_of(api.get("/api/v1/ssh-keys")) == json{{"data", json::array()}});

    auto r = api.post("/api/v1/ssh-keys", {{"name", "mine"}, {"public_key", k_pubkey}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const json added = body_of(r)["data"];
    CHECK(added["name"] == "mine");
    CHECK(added["public_key"] == k_pubkey);
    CHECK(added["id"].get<std::string>().size() == 32);
    CHECK_FALSE(added.contains("private_key"));

    r = api.post("/api/v1/ssh-keys", {{"name", "mine"}, {"public_key", k_pubkey}});
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(body_of(r)["error"]["code"] == "global/invalid-parameters");

    r = api.post("/api/v1/ssh-keys", {{"public_key", k_pubkey}});
    REQUIRE(r);
    CHECK(r->status == 400);

    r = api.post("/api/v1/ssh-keys", {{"name", "made"}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const json made = body_of(r)["data"];
    CHECK(made["public_key"].get<std::string>().rfind("ssh-ed25519 ", 0) == 0);
    CHECK(made["private_key"].get<std::string>().find("OPENSSH PRIVATE KEY") != std::string::npos);

    const json list = body_of(api.get("/api/v1/ssh-keys"))["data"];
    REQUIRE(list.size() == 2);
    CHECK(list[0] == added);
    CHECK_FALSE(list[1].contains("private_key"));

    r = api.del("/api/v1/ssh-keys/" + added["id"].get<std::string>());
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(body_of(r) == json{{"data", json::object()}});
    r = api.del("/api/v1/ssh-keys/" + added["id"].get<std::string>());
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(body_of(r)["error"]["code"] == "global/not-found");
    CHECK(body_of(api.get("/api/v1/ssh-keys"))["data"].size() == 1);
}

TEST_CASE("fake lambda set_status and vanish change what the API reports") {
    fakes::FakeLambda fake(quick());
    fake.start();
    Api api(fake.url());
    add_key(api);
    const std::string a = launch(api, launch_body("s-0"));
    const std::string b = launch(api, launch_body("s-1"));
    REQUIRE(eventually([&] { return instance(api, a)["status"] == "active"; }));

    fake.set_status(a, "preempted");
    json i = instance(api, a);
    check_instance_shape(i);
    CHECK(i["status"] == "preempted");
    CHECK(fake.running() == 2);
    fake.set_status(a, "unhealthy");
    CHECK(instance(api, a)["status"] == "unhealthy");

    fake.vanish(b);
    const auto r = api.get("/api/v1/instances/" + b);
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(fake.running() == 1);
    const json list = body_of(api.get("/api/v1/instances"))["data"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["id"] == a);
    CHECK(fake.instances()[1].status == "terminated");
}

TEST_CASE("fake lambda instances accept ssh with the launch keys") {
    if (::geteuid() != 0) {
        {
            fakes::FakeLambdaOptions o;
            test::TempDir dir;
            o.state_dir = dir.path();
            fakes::FakeLambda fake(o);
            CHECK_THROWS_WITH(fake.start(), "binding port 22 needs root");
        }
        test::skip("sshd on port 22 needs root");
    }
    test::require_sshd();
    test::TempDir dir;
    const auto state = dir / "state";
    core::generate_keypair(dir / "registered", "registered");
    core::generate_keypair(dir / "cloud", "cloud");
    core::generate_keypair(dir / "stranger", "stranger");
    auto pub = [&](const std::string& name) {
        std::string text = core::read_file(dir / (name + ".pub")).value();
        while (!text.empty() && text.back() == '\n')
            text.pop_back();
        return text;
    };
    const passwd* pw = ::getpwuid(::geteuid());
    REQUIRE(pw);
    const std::string user = pw->pw_name;

    auto ssh = [&](const std::string& key, const std::string& ip, const std::string& command) {
        core::RunOptions o;
        o.timeout = 30s;
        return core::run({"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                          "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o",
                          "LogLevel=ERROR", "-i", (dir / key).string(), user + "@" + ip, command},
                         o);
    };

    std::string ip;
    {
        fakes::FakeLambdaOptions o;
        o.state_dir = state;
        o.boot_delay = 100ms;
        o.terminate_delay = 100ms;
        fakes::FakeLambda fake(o);
        fake.start();
        Api api(fake.url());
        add_key(api, "grid-key", pub("registered"));
        json body = launch_body("sshtest-0", "gpu_8x_h100_sxm5");
        body["user_data"] = "#cloud-config\nssh_authorized_keys:\n  - " + pub("cloud") + "\n";
        const std::string id = launch(api, body);
        const std::string other = launch(api, launch_body("sshtest-jumphost"));
        REQUIRE(eventually([&] { return instance(api, id)["status"] == "active"; }, 30s));
        REQUIRE(eventually([&] { return instance(api, other)["status"] == "active"; }, 30s));
        ip = instance(api, id)["ip"].get<std::string>();
        const std::string other_ip = instance(api, other)["ip"].get<std::string>();
        CHECK(ip != other_ip);

        auto r = ssh("registered", ip, "true");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        r = ssh("cloud", ip, "nvidia-smi -L | wc -l");
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "8\n");
        CHECK(ssh("stranger", ip, "true").exit_code != 0);
        CHECK(ssh("registered", other_ip, "true").exit_code == 0);
        CHECK(ssh("cloud", other_ip, "true").exit_code != 0);  // no user_data there

        // Terminating stops sshd before the instance is gone from the API.
        const auto t = api.post("/api/v1/instance-operations/terminate", {{"instance_ids", {id}}});
        REQUIRE(t);
        REQUIRE(t->status == 200);
        REQUIRE(eventually([&] {
            const auto g = api.get("/api/v1/instances/" + id);
            return g && g->status == 404;
        }));
        CHECK(ssh("registered", ip, "true").exit_code != 0);
        CHECK_FALSE(std::filesystem::exists(state / "instances" / id));
    }
    // The fake is gone, and so is every sshd it started.
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string cmd = core::process_cmdline(std::stoi(pid));
        if (cmd.find(state.string()) != std::string::npos) left.push_back(pid + ": " + cmd);
    }
    INFO(left.size() << " processes left");
    CHECK(left.empty());
    CHECK(std::filesystem::is_empty(state / "instances"));
}
