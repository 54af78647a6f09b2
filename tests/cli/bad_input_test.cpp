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
    // Several nodes are made of 8-GPU machines: the error names them.
    const auto single = expect_error(g, {"cluster", "create", "1xH100", "-n", "2", "-i", key}, 2);
    CHECK(single.err.find("1xH100 is single-node only") != std::string::npos);
    CHECK(single.err.find("8xH100") != std::string::npos);
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

TEST_CASE("slips in the command line are named, with what was meant", "[cli][errors]") {
    test::Grid g;
    const std::string key = g.pubkey().string();
    auto r = expect_error(g, {"clustr", "list"}, 2);
    CHECK(r.err.find("unknown command 'clustr'") != std::string::npos);
    CHECK(r.err.find("hint: did you mean 'cluster'?") != std::string::npos);
    r = expect_error(g, {"cluster", "lst"}, 2);
    CHECK(r.err.find("unknown command 'cluster lst'") != std::string::npos);
    CHECK(r.err.find("did you mean 'cluster list'?") != std::string::npos);
    r = expect_error(g, {"--frobnicate"}, 2);
    CHECK(r.err.find("unknown option '--frobnicate'") != std::string::npos);
    r = expect_error(g, {"cluster", "list", "--bogus"}, 2);
    CHECK(r.err.find("unknown option '--bogus'") != std::string::npos);
    // Empty values, numbers that are not decimal, durations out of range.
    r = expect_error(g, {"cluster", "create", "1xH100", "--name", "", "-i", key}, 2);
    CHECK(r.err.find("--name needs a value") != std::string::npos);
    expect_error(g, {"cluster", "create", "1xH100", "--ttl", "", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-n", "0x2", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-n", "02", "-i", key}, 2);
    expect_error(g, {"queue", "submit", "--cluster", "x", "--gpus", "1e3", "--wrap", "true"}, 2);
    r = expect_error(g, {"cluster", "create", "1xH100", "--ttl", "106751d", "-i", key}, 2);
    CHECK(r.err.find("too long") != std::string::npos);
    // What came from the user is echoed short and without control characters.
    r = expect_error(
        g, {"cluster", "create", "1xH100", "--name", std::string(10000, 'n'), "-i", key}, 2);
    CHECK(r.err.size() < 300);
    r = expect_error(g, {"cluster", "create", "1xH100", "--label", "k=a\x1b[31mred", "-i", key}, 2);
    CHECK(r.err.find('\x1b') == std::string::npos);
    expect_error(g, {"cluster", "create", "1xH100", "--group", "a:b\nc", "-i", key}, 2);
    // A key's comment names it in lists: no control characters either.
    const auto line = core::read_file(g.pubkey()).value();
    const auto evil = g.state_dir().parent_path() / "evil.pub";
    core::write_file(evil, line.substr(0, line.rfind(' ')) + " evil\x1b[31mred\n", 0600);
    expect_error(g, {"me", "sshkey", evil.string()}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "-i", evil.string()}, 2);
    CHECK(g.ok({"cluster", "list", "-q", "--all"}).out.empty());
}

TEST_CASE("names cannot shadow ids, instances or each other", "[cli][errors]") {
    test::require_sshd();
    test::Grid g;
    const std::string key = g.pubkey().string();
    const std::string id = g.create({"1xH100", "--name", "train"});
    auto r = expect_error(g, {"cluster", "create", "1xH100", "--name", "train", "-i", key}, 4);
    CHECK(r.err.find("taken by cluster " + id) != std::string::npos);
    r = expect_error(g, {"cluster", "create", "1xH100", "--name", id.substr(0, 3), "-i", key}, 4);
    CHECK(r.err.find(id) != std::string::npos);
    expect_error(g, {"cluster", "create", "1xH100", "--name", "bcdefghj", "-i", key}, 2);
    expect_error(g, {"cluster", "create", "1xH100", "--name", "train-0", "-i", key}, 2);
    // The id, its prefix and the name all reach the one cluster.
    for (const auto& text : {id, id.substr(0, 3), std::string("train")})
        CHECK(g.ok({"cluster", "info", text, "-q"}).out == id + "\n");
    CHECK(g.ok({"cluster", "list", "-q", "--all"}).out == id + "\n");
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
    // The same error whichever command meets it.
    const auto broken = expect_error(g, {"types"}, 2);
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"cluster", "list"}, {"cluster", "create", "1xH100"}, {"me", "sshkey"}})
        CHECK(expect_error(g, cmd, 2).err == broken.err);
    expect_error(g, {"types", "--config", "/nonexistent/grid.toml"}, 2);
}

TEST_CASE("a key nothing reads is a warning naming it and the nearest known one", "[cli][errors]") {
    test::Grid g;
    g.write_config(
        "defualt_provider = \"local\"\n[providers.local]\nmax_instance = 3\n"
        "[profiles.lab]\nprovider = \"lambda\"\nregoin = \"us-east-1\"\n"
        "[profiles.hpc]\nscheduler = \"slurm\"\nurl = \"http://h:6820\"\ntoken_cmd = \"x\"\n");
    const auto r = g.run({"cluster", "list"});
    CHECK(r.code == 0);
    CHECK(r.err.find("unknown key defualt_provider") != std::string::npos);
    CHECK(r.err.find("(did you mean default_provider?)") != std::string::npos);
    CHECK(r.err.find("providers.local.max_instance in") != std::string::npos);
    CHECK(r.err.find("(did you mean max_instances?)") != std::string::npos);
    CHECK(r.err.find("profiles.lab.regoin") != std::string::npos);
    CHECK(r.err.find("profiles.hpc.token_cmd") != std::string::npos);
    // Keys that are read are not mentioned.
    CHECK(r.err.find("url") == std::string::npos);
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
