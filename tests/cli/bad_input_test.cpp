// Bad input gets one error line (plus a hint), the right exit code, an empty stdout with
// -o json, and changes nothing.
#include <catch2/catch.hpp>

#include "core/files.hpp"
#include "tests/support/support.hpp"

namespace {

// Runs grid with -o json and checks the error contract.
test::Result expect_error(const test::Grid& g, std::vector<std::string> args, int code) {
    args.push_back("-o");
    args.push_back("json");
    const auto r = g.run(args);
    std::string cmd;
    for (const auto& a : args)
        cmd += " " + a;
    INFO("grid" << cmd << "\nstderr: " << r.err);
    CHECK(r.code == code);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("grid: error: ", 0) == 0);
    CHECK(r.err.find("Traceback") == std::string::npos);
    // One error line, then at most a hint line.
    const auto first_nl = r.err.find('\n');
    CHECK(first_nl != std::string::npos);
    const std::string rest = r.err.substr(first_nl + 1);
    CHECK((rest.empty() || (rest.rfind("hint: ", 0) == 0 && rest.find('\n') == rest.size() - 1)));
    return r;
}

}  // namespace

TEST_CASE("usage errors exit 2", "[cli][errors]") {
    test::Grid g;
    const std::string key = g.pubkey().string();
    expect_error(g, {"cluster", "create", "3xV100", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-n", "0", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-n", "abc", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "8xH100", "-n", "2", "--container", "pytorch", "-i", key},
                 2);
    expect_error(g, {"cluster", "create", "1xH100", "--ttl", "soon", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "--region", "us-east-1", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "--name", "bad name", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "--label", "novalue", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-i", g.key().string()}, 2);  // a private key
    expect_error(g, {"cluster", "create", "1xH100", "-i", "/nonexistent.pub"}, 2);
    expect_error(g, {"cluster", "create", "1xH100"}, 2);  // no key at all
    expect_error(g, {"cluster", "create", "1xH100", "--provider", "nosuch", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "--profile", "nosuch", "-i", key}, 2);
    // A queue-only profile (an existing Slurm cluster) makes no clusters, and says so.
    g.write_config("[profiles.hpc]\nscheduler = \"slurm\"\nurl = \"http://127.0.0.1:9\"\n");
    const auto queue_only = g.run({"cluster", "create", "1xH100", "--profile", "hpc", "-i", key});
    CHECK(queue_only.code == 2);
    CHECK(queue_only.err.find("profile 'hpc' is a queue only") != std::string::npos);
    CHECK(g.run({"cluster", "list", "--refresh"}).code == 0);  // and is no account to look at
    g.write_config("");
    expect_error(g, {"cluster", "create"}, 2);
    expect_error(g, {"cluster", "list", "--status", "SLEEPING"}, 2);
    expect_error(g, {"cluster", "list", "--sort", "color"}, 2);
    expect_error(g, {"cluster", "list", "--bogus"}, 2);
    expect_error(g, {"cluster"}, 2);
    expect_error(g, {"frobnicate"}, 2);
    expect_error(g, {"completion", "fish"}, 2);
    // An unknown -o value: stdout stays empty too.
    const auto r = g.run({"cluster", "list", "-o", "yaml"});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    // Nothing was created by any of it.
    CHECK(g.ok({"cluster", "list", "-q", "--all"}).out.empty());
}

TEST_CASE("unknown ids exit 3", "[cli][errors]") {
    test::Grid g;
    for (const auto& cmd :
         std::vector<std::vector<std::string>>{{"cluster", "info", "nosuch"},
                                               {"cluster", "destroy", "nosuch", "--yes"},
                                               {"cluster", "archive", "nosuch"},
                                               {"ssh", "nosuch", "--", "true"},
                                               {"ssh", "nosuch-0"}})
        expect_error(g, cmd, 3);
}

TEST_CASE("a broken config file is reported with where it is broken", "[cli][errors]") {
    test::Grid g;
    g.write_config("[providers.local]\nmax_instances = \"lots\"\n");
    const auto r = expect_error(g, {"types"}, 2);
    CHECK(r.err.find("providers.local.max_instances") != std::string::npos);
    g.write_config("[providers.local\n");
    expect_error(g, {"types"}, 2);
    expect_error(g, {"types", "--config", "/nonexistent/grid.toml"}, 2);
}

TEST_CASE("the wrong state for an operation exits 4 and changes nothing", "[cli][errors]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"1xH100"});
    expect_error(g, {"cluster", "archive", id}, 4);
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["archived"] == false);
    g.ok({"cluster", "destroy", id, "--yes"});
    expect_error(g, {"ssh", id, "--", "true"}, 4);
}

TEST_CASE("destroy off a terminal needs --yes / and without it nothing changes", "[cli][errors]") {
    test::require_sshd();
    test::Grid g;
    const std::string id = g.create({"1xH100"});
    const auto r = expect_error(g, {"cluster", "destroy", id}, 2);
    CHECK(r.err.find("--yes") != std::string::npos);
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["status"] == "RUNNING");
    CHECK(g.ok({"ssh", id, "--", "true"}).code == 0);
    // One unknown id among several: nothing is destroyed either.
    expect_error(g, {"cluster", "destroy", id, "nosuch", "--yes"}, 3);
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["status"] == "RUNNING");
}
