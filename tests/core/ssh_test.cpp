#include "core/ssh.hpp"

#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/keygen.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace {

core::Cluster two_node_cluster() {
    core::Cluster c;
    c.id = "k3m9x2ab";
    c.provider = "local";
    c.type = "8xH100";
    c.nodes = 2;
    c.topology = core::Topology::Jumphost;
    core::Instance j;
    j.id = "k3m9x2ab-jumphost";
    j.role = core::Role::Jumphost;
    j.index = -1;
    j.state = core::State::Running;
    j.public_ip = "127.0.0.10";
    j.private_ip = "127.0.0.10";
    j.ssh_port = 40000;
    j.ssh_user = "alice";
    j.host_key = "ssh-ed25519 AAAAjump";
    c.instances.push_back(j);
    for (int i = 0; i < 2; ++i) {
        core::Instance w;
        w.id = "k3m9x2ab-" + std::to_string(i);
        w.index = i;
        w.state = core::State::Running;
        w.private_ip = "127.1.0." + std::to_string(10 + i);
        w.ssh_port = 40001 + i;
        w.ssh_user = "alice";
        c.instances.push_back(w);
    }
    return c;
}

}  // namespace

TEST_CASE("public keys are parsed / private keys and junk are not", "[ssh]") {
    auto k = core::parse_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK me@laptop\n");
    REQUIRE(k);
    CHECK(k->type == "ssh-ed25519");
    CHECK(k->comment == "me@laptop");
    CHECK(k->line() == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK me@laptop");
    CHECK_FALSE(core::parse_public_key("-----BEGIN OPENSSH PRIVATE KEY-----"));
    CHECK_FALSE(core::parse_public_key("ssh-ed25519"));
    CHECK_FALSE(core::parse_public_key("ssh-foo AAAA"));
    CHECK_FALSE(core::parse_public_key("ssh-ed25519 AA$A"));
}

TEST_CASE("reading a private key file where a public one belongs is a usage error", "[ssh]") {
    test::TempDir dir;
    core::write_file(
        dir / "id", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n",
        0600);
    try {
        core::read_public_key_file(dir / "id");
        FAIL("accepted");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Usage);
        CHECK(e.hint().find(".pub") != std::string::npos);
    }
    CHECK_THROWS_AS(core::read_public_key_file(dir / "missing.pub"), core::Error);
}

TEST_CASE("generated key pairs are private and fingerprinted", "[ssh]") {
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    test::TempDir dir;
    core::generate_keypair(dir / "k" / "id_ed25519", "grid-test");
    CHECK((std::filesystem::status(dir / "k" / "id_ed25519").permissions() &
           std::filesystem::perms::group_all) == std::filesystem::perms::none);
    const auto pub = core::read_public_key_file(dir / "k" / "id_ed25519.pub");
    CHECK(core::key_fingerprint(pub).rfind("SHA256:", 0) == 0);
}

TEST_CASE("the client config sends workers through the jumphost", "[ssh]") {
    const auto c = two_node_cluster();
    core::SshFiles f;
    f.key = "/s/clusters/k3m9x2ab/id_ed25519";
    f.known_hosts = "/s/clusters/k3m9x2ab/known_hosts";
    const std::string text = core::ssh_config_text(c, f);
    CHECK(text.find("Host k3m9x2ab-jumphost\n  HostName 127.0.0.10\n  Port 40000\n  User alice") !=
          std::string::npos);
    CHECK(text.find("Host k3m9x2ab-1\n  HostName 127.1.0.11\n  Port 40002") != std::string::npos);
    CHECK(text.find("ProxyJump k3m9x2ab-jumphost") != std::string::npos);
    // Exactly the two workers jump.
    std::size_t n = 0;
    for (auto p = text.find("ProxyJump"); p != std::string::npos; p = text.find("ProxyJump", p + 1))
        ++n;
    CHECK(n == 2);
    CHECK(text.find("StrictHostKeyChecking yes") != std::string::npos);  // jumphost key known
    CHECK(text.find("StrictHostKeyChecking accept-new") != std::string::npos);  // workers' not yet
    CHECK(core::known_hosts_text(c) == "k3m9x2ab-jumphost ssh-ed25519 AAAAjump\n");
    const std::string inside = core::jumphost_ssh_config_text(c);
    CHECK(inside.find("Host k3m9x2ab-0 127.1.0.10") != std::string::npos);
    CHECK(inside.find("${HOME}/.ssh/id_ed25519") != std::string::npos);
    CHECK(inside.find("jumphost\n") == std::string::npos);
}

TEST_CASE("ssh argv ends options before the host", "[ssh]") {
    core::SshFiles f;
    f.config = "/s/c/ssh_config";
    const auto argv = core::ssh_argv(f, "k3m9x2ab-0", false, {"-la"});
    REQUIRE(argv.size() == 6);
    CHECK(argv[3] == "--");
    CHECK(argv[4] == "k3m9x2ab-0");
    CHECK(argv[5] == "-la");
}

TEST_CASE("keys made in-process are what ssh-keygen makes of them", "[ssh]") {
    if (!test::have_program("ssh-keygen"))
        test::skip("ssh-keygen is missing (apt-get install openssh-client)");
    const auto pair = core::ed25519_keypair("made-here");
    if (!pair) test::skip("libcrypto cannot be loaded here (apt-get install libssl3)");
    test::TempDir dir;
    core::write_file(dir / "k", pair->private_key, 0600);
    // ssh-keygen derives the public key from our private key file: it must read it, and agree.
    const auto r = core::run({"ssh-keygen", "-y", "-f", (dir / "k").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == pair->public_key + "\n");
    CHECK(pair->public_key.rfind("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 0) == 0);
    CHECK(pair->public_key.size() > 80);
    // Two keys are never the same.
    CHECK(core::ed25519_keypair("x")->public_key != core::ed25519_keypair("x")->public_key);
}
