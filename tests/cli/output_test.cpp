// What the commands print: tables for people, one JSON document for programs, ids with -q.
#include <catch2/catch.hpp>

#include "core/process.hpp"
#include "tests/support/support.hpp"

TEST_CASE("list filters / searches / sorts and archives", "[cli][list]") {
    test::require_sshd();
    test::Grid g;
    const std::string a = g.create({"1xH100", "--name", "alpha", "--label", "team=vision"});
    const std::string b = g.create({"2xH200", "--name", "beta"});
    g.ok({"cluster", "destroy", a, "--yes"});

    auto ids = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"cluster", "list", "-q"});
        return g.ok(args).out;
    };
    CHECK(ids({}) == a + "\n" + b + "\n");
    CHECK(ids({"--status", "RUNNING"}) == b + "\n");
    CHECK(ids({"--status", "destroyed,running"}) == a + "\n" + b + "\n");
    CHECK(ids({"--search", "VISION"}) == a + "\n");
    CHECK(ids({"--search", "h200"}) == b + "\n");
    CHECK(ids({"--sort", "name"}) == a + "\n" + b + "\n");
    CHECK(ids({"--sort", "status"}) == b + "\n" + a + "\n");  // RUNNING ranks above DESTROYED
    CHECK(ids({"--provider", "local"}) == a + "\n" + b + "\n");
    CHECK(ids({"--provider", "lambda"}).empty());

    g.ok({"cluster", "archive", "alpha"});
    CHECK(ids({}) == b + "\n");
    CHECK(ids({"--all"}) == a + "\n" + b + "\n");
    CHECK(g.ok({"cluster", "info", a, "--json"}).json()["archived"] == true);

    const auto table = g.ok({"cluster", "list"}).out;
    CHECK(table.rfind("ID", 0) == 0);
    CHECK(table.find("beta") != std::string::npos);
    CHECK(table.find("\x1b[") == std::string::npos);  // no colour off a terminal

    const auto doc =
        g.ok({"-o", "json", "cluster", "list", "--refresh"}).json();  // global option first
    REQUIRE(doc["clusters"].size() == 1);
    const auto& c = doc["clusters"][0];
    for (const char* field : {"id", "name", "status", "provider", "type", "nodes", "gpus",
                              "created_at", "expires_at", "labels", "archived", "end_reason"})
        CHECK(c.contains(field));
    CHECK(c["created_at"].get<std::string>().back() == 'Z');
    CHECK(c["gpus"] == 2);
}

TEST_CASE("create --dry-run checks and creates nothing", "[cli][create]") {
    test::Grid g;
    const auto doc = g.ok({"cluster", "create", "8xB200", "-n", "4", "--dry-run", "-i",
                           g.pubkey().string(), "--json"})
                         .json();
    CHECK(doc["dry_run"] == true);
    CHECK(doc["instances"].size() == 5);
    CHECK(doc["status"] == "PENDING");
    CHECK(g.ok({"cluster", "list", "-q", "--all"}).out.empty());
}

TEST_CASE("registered keys are used when -i is not given", "[cli][keys]") {
    test::require_sshd();
    test::Grid g;
    CHECK(g.ok({"me", "sshkey", "--json"}).json()["keys"].empty());
    const auto added = g.ok({"me", "sshkey", g.pubkey().string(), "--json"}).json();
    REQUIRE(added["keys"].size() == 1);
    CHECK(added["keys"][0]["name"] == "grid-test");
    CHECK(added["keys"][0]["fingerprint"].get<std::string>().rfind("SHA256:", 0) == 0);
    CHECK(g.run({"me", "sshkey", g.pubkey().string()}).code == 4);  // already there
    const auto r = g.ok({"cluster", "create", "1xH100", "-q"});
    const std::string id = r.out.substr(0, 8);
    // The user's own key (not only grid's cluster key) opens the node.
    const auto cfg = g.ok({"ssh-config"}).out;
    const auto info = g.ok({"cluster", "info", id, "--json"}).json();
    const auto& node = info["instances"][0];
    core::RunOptions o;
    o.timeout = std::chrono::seconds(60);
    const auto ssh = core::run(
        {"ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
         "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
         "-i", g.key().string(), "-p", std::to_string(node["ssh_port"].get<int>()),
         node["ssh_user"].get<std::string>() + "@" + node["public_ip"].get<std::string>(),
         "echo ok"},
        o);
    INFO(ssh.err);
    CHECK(ssh.out == "ok\n");
    g.ok({"cluster", "destroy", id, "--yes"});
}

TEST_CASE("types lists the emulated local catalog", "[cli][types]") {
    test::Grid g;
    const auto doc = g.ok({"types", "--json"}).json();
    CHECK(doc["provider"] == "local");
    bool h200 = false;
    for (const auto& t : doc["types"]) {
        CHECK(t["emulated"] == true);
        if (t["name"] == "8xH200") h200 = t["available"].get<int>() > 0;
    }
    CHECK(h200);
    CHECK(g.ok({"types"}).out.find("(emulated)") != std::string::npos);
}

TEST_CASE("version and help", "[cli]") {
    test::Grid g;
    CHECK(g.ok({"--version"}).out.rfind("grid ", 0) == 0);
    const auto help = g.ok({"--help"}).out;
    for (const char* cmd : {"cluster", "ssh", "ssh-config", "types", "me", "completion"})
        CHECK(help.find(cmd) != std::string::npos);
    CHECK(help.find("__complete") == std::string::npos);  // internal commands stay hidden
    CHECK(g.ok({"cluster", "create", "--help"}).out.find("--ttl") != std::string::npos);
}

TEST_CASE("--help and list never load the HTTP library", "[cli][speed]") {
    test::Grid g;
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--help"}, {"cluster", "list"}, {"types"}}) {
        std::vector<std::string> argv{GRID_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        core::RunOptions o;
        o.env = g.env();
        o.env.push_back("LD_DEBUG=libs");
        const auto r = core::run(argv, o);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("libcurl") == std::string::npos);
        CHECK(r.err.find("libssl") == std::string::npos);
    }
}

TEST_CASE("local types carry emulated prices and say which make clusters of several nodes",
          "[cli][output]") {
    test::Grid g;
    auto doc = g.ok({"types", "-o", "json"}).json();
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& t : doc["types"])
        by_name[t["name"]] = t;
    CHECK(by_name.at("8xH100")["price_per_hour"].get<double>() == Approx(19.92));
    CHECK(by_name.at("1xH100")["price_per_hour"].get<double>() == Approx(2.49));
    CHECK(by_name.at("8xH100")["multi_node"] == true);
    CHECK(by_name.at("4xH100")["multi_node"] == false);
    CHECK(by_name.at("8xH100")["emulated"] == true);
    // Both are the config's to change.
    g.write_config("[providers.local]\nprices = { H100 = 1.5 }\nmulti_node_types = [\"4xH100\"]\n");
    doc = g.ok({"types", "-o", "json"}).json();
    for (const auto& t : doc["types"])
        by_name[t["name"]] = t;
    CHECK(by_name.at("4xH100")["price_per_hour"].get<double>() == Approx(6.0));
    CHECK(by_name.at("4xH100")["multi_node"] == true);
    CHECK(by_name.at("8xH100")["multi_node"] == false);
}
