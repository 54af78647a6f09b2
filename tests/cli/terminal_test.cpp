// What grid does on a terminal that it does not do elsewhere: ask before destroying, and show
// a create's progress on stderr.
#include <catch2/catch.hpp>

#include "tests/support/support.hpp"
#include "tests/support/terminal.hpp"

TEST_CASE("on a terminal destroy asks: no keeps the cluster and yes destroys it",
          "[cli][terminal]") {
    test::require_sshd();
    test::require_tmux("bash");
    test::Grid g;
    const std::string id = g.create({"1xH100"});
    test::Tmux t(g, "bash --norc --noprofile");
    t.keys({"grid cluster destroy " + id, "Enter"});
    REQUIRE(t.wait_for("? [y/N]"));
    t.keys({"n", "Enter"});
    CHECK(t.wait_for("nothing was destroyed"));
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["status"] == "RUNNING");
    t.keys({"clear", "Enter", "grid cluster destroy " + id, "Enter"});
    REQUIRE(t.wait_for("? [y/N]"));
    t.keys({"y", "Enter"});
    CHECK(t.wait_for(id + "  DESTROYED", 30));
    CHECK(g.ok({"cluster", "info", id, "--json"}).json()["status"] == "DESTROYED");
}

TEST_CASE("create shows each state change on a terminal and none elsewhere", "[cli][terminal]") {
    test::require_sshd();
    test::require_tmux("bash");
    test::Grid g;
    test::Tmux t(g, "bash --norc --noprofile");
    t.keys({"grid cluster create 1xH100 -i " + g.pubkey().string(), "Enter"});
    CHECK(t.wait_for("PENDING -> PROVISIONING", 30));
    CHECK(t.wait_for("CONFIGURING -> RUNNING", 30));
    CHECK(t.wait_for("Connect: grid ssh", 30));
    // Off a terminal, stderr stays quiet and stdout holds the id alone.
    const auto r = g.ok({"cluster", "create", "1xH100", "-i", g.pubkey().string()});
    CHECK(r.err.find("->") == std::string::npos);
    CHECK(r.out.size() == 9);
}

TEST_CASE("create --no-wait returns before the nodes answer and info moves them on",
          "[cli][create]") {
    test::require_sshd();
    test::Grid g;
    const auto created =
        g.ok({"cluster", "create", "1xH100", "--no-wait", "-i", g.pubkey().string(), "--json"})
            .json();
    CHECK(created["status"] != "RUNNING");
    CHECK(created["instances"][0]["status"] == "PROVISIONING");
    const auto info = g.ok({"cluster", "info", created["id"], "--json"}).json();
    CHECK(info["status"] == "RUNNING");
}
