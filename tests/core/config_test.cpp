#include "core/config.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "tests/support/support.hpp"

TEST_CASE("no config file means defaults", "[config]") {
    test::TempDir dir;
    const auto c = core::Config::load(dir / "missing.toml");
    CHECK(c.default_provider() == "local");
    CHECK(c.profile_names().empty());
    CHECK(c.provider_settings("local").empty());
}

TEST_CASE("profiles and provider tables are read", "[config]") {
    const auto c = core::Config::parse(R"(
default_provider = "local"
[providers.local]
max_instances = 12
gpus = { H100 = 8 }
[profiles.lab]
provider = "lambda"
api_key_env = "LAMBDA_KEY"
file_systems = ["data", "models"]
launch_interval = "500ms"
[profiles.hpc]
scheduler = "slurm"
url = "http://login1:6820"
[profiles.both]
scheduler = "slurm"
provider = "local"
[profiles.plain]
)",
                                       "test.toml");
    CHECK(c.provider_settings("local").integer("max_instances") == 12);
    CHECK(c.provider_settings("local").table("gpus").integer("H100") == 8);
    const auto p = c.profile("lab");
    REQUIRE(p);
    CHECK(p->provider == "lambda");
    CHECK(p->settings.string("api_key_env") == "LAMBDA_KEY");
    CHECK(p->settings.strings("file_systems") == std::vector<std::string>{"data", "models"});
    CHECK(p->settings.duration("launch_interval", std::chrono::seconds(12)) ==
          std::chrono::milliseconds(500));
    CHECK(p->settings.duration("poll_interval", std::chrono::seconds(5)) ==
          std::chrono::seconds(5));
    CHECK_FALSE(c.profile("nope"));
    // A scheduler and no provider: a queue only, not the default provider's.
    CHECK(c.profile("hpc")->provider.empty());
    CHECK(c.profile("both")->provider == "local");
    CHECK(c.profile("plain")->provider == "local");
    // Wrong shapes name the key.
    const auto bad = core::Config::parse(
        "[profiles.x]\nfile_systems = \"data\"\nlaunch_interval = 5\n", "t.toml");
    CHECK_THROWS_WITH(bad.profile("x")->settings.strings("file_systems"),
                      Catch::Contains("profiles.x.file_systems must be an array of strings"));
    CHECK_THROWS_WITH(
        bad.profile("x")->settings.duration("launch_interval", std::chrono::seconds(1)),
        Catch::Contains("profiles.x.launch_interval must be"));
}

TEST_CASE("a wrongly typed value names its key", "[config]") {
    const auto c =
        core::Config::parse("[providers.local]\nmax_instances = \"many\"\n", "test.toml");
    try {
        (void)c.provider_settings("local").integer("max_instances");
        FAIL("accepted");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Usage);
        CHECK(std::string(e.what()).find("providers.local.max_instances") != std::string::npos);
    }
}

TEST_CASE("a syntax error says where", "[config]") {
    try {
        core::Config::parse("a = \n[x", "cfg.toml");
        FAIL("accepted");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Usage);
        CHECK(std::string(e.what()).find("line 1") != std::string::npos);
    }
}

TEST_CASE("paths follow GRID_* and XDG variables", "[config]") {
    ::setenv("GRID_STATE_DIR", "/tmp/a-state", 1);
    ::setenv("GRID_CONFIG", "/tmp/a.toml", 1);
    auto p = core::resolve_paths(std::nullopt);
    CHECK(p.state_dir == "/tmp/a-state");
    CHECK(p.config_file == "/tmp/a.toml");
    CHECK(p.db() == "/tmp/a-state/grid.db");
    p = core::resolve_paths(std::string("/etc/x.toml"));
    CHECK(p.config_file == "/etc/x.toml");
    ::unsetenv("GRID_STATE_DIR");
    ::unsetenv("GRID_CONFIG");
    ::setenv("XDG_STATE_HOME", "/tmp/xdg-state", 1);
    ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-config", 1);
    p = core::resolve_paths(std::nullopt);
    CHECK(p.state_dir == "/tmp/xdg-state/grid");
    CHECK(p.config_file == "/tmp/xdg-config/grid/config.toml");
    ::unsetenv("XDG_STATE_HOME");
    ::unsetenv("XDG_CONFIG_HOME");
}
