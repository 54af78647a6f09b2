// The local provider with real sshd processes on loopback addresses.
#include "backends/local/local_provider.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "backends/local/sandbox.hpp"
#include "core/config.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace {

struct Local {
    test::TempDir dir;
    std::unique_ptr<core::Provider> provider;
    std::string pubkey;

    explicit Local(const std::string& toml = "") {
        test::require_sshd();
        const auto cfg = core::Config::parse(toml, "test.toml");
        core::ProviderContext ctx;
        ctx.name = "local";
        ctx.settings = cfg.provider_settings("local");
        ctx.state_dir = dir / "local";
        provider = backends::local::make_provider(ctx);
        core::RunOptions o;
        o.timeout = std::chrono::seconds(30);
        REQUIRE(
            core::run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir / "key").string()},
                      o)
                .exit_code == 0);
        pubkey = core::read_file(dir / "key.pub").value();
        pubkey.pop_back();
    }

    core::LaunchRequest request(const std::string& name, core::Role role = core::Role::Worker,
                                const std::string& type = "1xH100") const {
        core::LaunchRequest r;
        r.name = name;
        r.cluster_id = name.substr(0, name.find('-'));
        r.role = role;
        r.type = type;
        r.authorized_keys = {pubkey};
        return r;
    }

    std::vector<std::string> launch(const std::vector<core::LaunchRequest>& reqs) {
        std::vector<std::string> ids;
        provider->launch(reqs,
                         [&](const core::Provider::Launched& l) { ids.push_back(l.provider_id); });
        return ids;
    }

    core::RunResult ssh(const core::Observation& o, const std::string& command) const {
        core::RunOptions opt;
        opt.timeout = std::chrono::seconds(30);
        return core::run(
            {"ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-i",
             (dir / "key").string(), "-p", std::to_string(o.ssh_port),
             o.ssh_user + "@" + (o.public_ip.empty() ? o.private_ip : o.public_ip), command},
            opt);
    }
};

}  // namespace

TEST_CASE("a local instance is a real sshd that takes the user's key", "[local]") {
    Local l;
    const auto ids = l.launch({l.request("aaaaaaaa-0")});
    REQUIRE(ids == std::vector<std::string>{"aaaaaaaa-0"});
    auto seen = l.provider->describe(ids);
    REQUIRE(seen.count("aaaaaaaa-0"));
    const auto o = seen.at("aaaaaaaa-0");
    CHECK(o.state == core::ProviderState::Active);
    CHECK(o.public_ip.rfind("127.0.", 0) == 0);
    CHECK(o.host_key.rfind("ssh-ed25519 ", 0) == 0);
    const auto r = l.ssh(o, "echo $HOME; echo $GRID_INSTANCE; nvidia-smi -L");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find((l.dir / "local" / "instances" / "aaaaaaaa-0" / "home").string()) !=
          std::string::npos);
    CHECK(r.out.find("aaaaaaaa-0\n") != std::string::npos);
    CHECK(r.out.find("H100") != std::string::npos);
    CHECK(r.out.find("emulated") != std::string::npos);
    if (::geteuid() == 0) CHECK(l.ssh(o, "hostname").out == "aaaaaaaa-0\n");
    l.provider->terminate(ids);
    CHECK(l.provider->describe(ids).empty());
}

TEST_CASE("terminate stops every process a session left behind", "[local]") {
    Local l;
    const auto ids = l.launch({l.request("bbbbbbbb-0")});
    const auto o = l.provider->describe(ids).at("bbbbbbbb-0");
    // A daemonized process escapes sshd's process tree; the sandbox marker still finds it.
    REQUIRE(
        l.ssh(o, "setsid nohup sleep 300 >/dev/null 2>&1 < /dev/null & echo started").exit_code ==
        0);
    const std::string marker =
        "GRID_SANDBOX=" + (l.dir / "local" / "instances" / "bbbbbbbb-0").string();
    std::vector<pid_t> left;
    for (int i = 0; i < 100 && left.empty(); ++i) {
        left = core::processes_with_env(marker);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK_FALSE(left.empty());
    const auto sshd =
        core::read_file(l.dir / "local" / "instances" / "bbbbbbbb-0" / "run" / "sshd.pid").value();
    l.provider->terminate(ids);
    CHECK(core::processes_with_env(marker).empty());
    CHECK_FALSE(core::process_alive(std::stoi(sshd)));
    CHECK_FALSE(std::filesystem::exists(l.dir / "local" / "instances" / "bbbbbbbb-0"));
}

TEST_CASE("capacity comes from the config and is enforced", "[local]") {
    Local l("[providers.local]\nmax_instances = 3\ngpus = { H100 = 8 }\n");
    const auto catalog = l.provider->catalog();
    REQUIRE(catalog.size() == 4);  // 1x 2x 4x 8x H100
    CHECK(catalog.back().name == "8xH100");
    CHECK(catalog.back().available == 1);
    CHECK(catalog.back().emulated);
    CHECK_THROWS_AS(l.launch({l.request("cccccccc-0", core::Role::Worker, "8xH100"),
                              l.request("cccccccc-1", core::Role::Worker, "8xH100")}),
                    core::CapacityError);
    CHECK(l.provider->catalog().back().available == 1);  // nothing was reserved by the failure
    const auto ids = l.launch({l.request("dddddddd-0", core::Role::Worker, "8xH100")});
    CHECK(l.provider->catalog().front().available == 0);
    CHECK_THROWS_AS(l.launch({l.request("eeeeeeee-0")}), core::CapacityError);
    // Instances count too, jumphosts included.
    CHECK_THROWS_AS(l.launch({l.request("ffffffff-jumphost", core::Role::Jumphost, "1xH100"),
                              l.request("gggggggg-jumphost", core::Role::Jumphost, "1xH100"),
                              l.request("hhhhhhhh-jumphost", core::Role::Jumphost, "1xH100")}),
                    core::CapacityError);
    l.provider->terminate(ids);
    CHECK(l.provider->catalog().back().available == 1);
}

TEST_CASE("a retried launch finds the instance instead of making a second one", "[local]") {
    Local l;
    const auto first = l.launch({l.request("jjjjjjjj-0")});
    const auto pid =
        core::read_file(l.dir / "local" / "instances" / "jjjjjjjj-0" / "run" / "sshd.pid").value();
    const auto second = l.launch({l.request("jjjjjjjj-0")});
    CHECK(first == second);
    CHECK(core::read_file(l.dir / "local" / "instances" / "jjjjjjjj-0" / "run" / "sshd.pid")
              .value() == pid);
    l.provider->terminate(first);
}

TEST_CASE("an instance whose sshd died is reported unhealthy", "[local]") {
    Local l;
    const auto ids = l.launch({l.request("kkkkkkkk-0")});
    const auto pid = std::stoi(
        core::read_file(l.dir / "local" / "instances" / "kkkkkkkk-0" / "run" / "sshd.pid").value());
    core::stop_process(pid, std::chrono::seconds(2));
    const auto o = l.provider->describe(ids).at("kkkkkkkk-0");
    CHECK(o.state == core::ProviderState::Unhealthy);
    CHECK(o.detail == "sshd is not running");
    l.provider->terminate(ids);
}

TEST_CASE("without a network of their own workers sit on a private loopback range", "[local]") {
    Local l("[providers.local]\nnetwork = \"loopback\"\n");
    const auto ids = l.launch({l.request("mmmmmmmm-jumphost", core::Role::Jumphost),
                               l.request("mmmmmmmm-0"), l.request("mmmmmmmm-1")});
    const auto seen = l.provider->describe(ids);
    CHECK(seen.at("mmmmmmmm-jumphost").public_ip.rfind("127.0.", 0) == 0);
    CHECK(seen.at("mmmmmmmm-0").public_ip.empty());
    CHECK(seen.at("mmmmmmmm-0").private_ip.rfind("127.1.", 0) == 0);
    CHECK(seen.at("mmmmmmmm-0").private_ip != seen.at("mmmmmmmm-1").private_ip);
    CHECK_FALSE(std::filesystem::exists("/run/netns/grid-mmmmmmmm"));
    l.provider->terminate(ids);
}

TEST_CASE("a multi-node cluster gets a network namespace that goes with it", "[local]") {
    if (::geteuid() != 0 || !test::have_program("ip"))
        test::skip("network namespaces need root and iproute2 (apt-get install iproute2)");
    Local l("[providers.local]\nnetwork = \"namespace\"\n");
    const auto ids = l.launch({l.request("nnnnnnnn-jumphost", core::Role::Jumphost),
                               l.request("nnnnnnnn-0"), l.request("nnnnnnnn-1")});
    REQUIRE(std::filesystem::exists("/run/netns/grid-nnnnnnnn"));
    const auto seen = l.provider->describe(ids);
    const auto& jump = seen.at("nnnnnnnn-jumphost");
    CHECK(jump.public_ip.rfind("10.213.", 0) == 0);
    CHECK(jump.ssh_port == 22);
    CHECK(seen.at("nnnnnnnn-0").public_ip.empty());
    CHECK(seen.at("nnnnnnnn-0").private_ip == "127.0.0.10");
    CHECK(seen.at("nnnnnnnn-1").private_ip == "127.0.0.11");
    // The jumphost answers from this machine; the workers' addresses are inside the namespace.
    CHECK(l.ssh(jump, "echo $GRID_INSTANCE").out == "nnnnnnnn-jumphost\n");
    // From inside, on the namespace's loopback, the workers answer.
    core::RunOptions o;
    o.timeout = std::chrono::seconds(30);
    const auto inside =
        core::run({"ip", "netns", "exec", "grid-nnnnnnnn", "ssh", "-F", "/dev/null", "-o",
                   "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                   "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-i",
                   (l.dir / "key").string(), "root@127.0.0.11", "echo $GRID_INSTANCE"},
                  o);
    INFO(inside.err);
    CHECK(inside.out == "nnnnnnnn-1\n");
    l.provider->terminate(ids);
    CHECK_FALSE(std::filesystem::exists("/run/netns/grid-nnnnnnnn"));
}

TEST_CASE("a sandbox whose port was taken meanwhile moves to another port", "[local]") {
    test::require_sshd();
    test::TempDir dir;
    const std::string address = backends::local::loopback_address(true, 200);
    // Someone else listens on the port chosen for the sandbox before its sshd binds it.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    const int taken = ntohs(a.sin_port);

    backends::local::SandboxRecord r;
    r.name = "cccccccc-0";
    r.cluster = "cccccccc";
    r.role = "worker";
    r.address = address;
    r.port = taken;
    r.user = ::getpwuid(::geteuid())->pw_name;
    backends::local::Sandbox box(dir / "instances", r.name);
    box.write_record(r);
    box.start(r, {});
    ::close(fd);
    CHECK(box.sshd_pid() != 0);
    CHECK(box.record().port != taken);
    CHECK(test::accepts(box.record().port, address));
    box.destroy();
    CHECK_FALSE(box.exists());
}
