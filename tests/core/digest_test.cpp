// Base64 and SHA-256 against known answers, and key fingerprints against ssh-keygen.
#include "core/digest.hpp"

#include <catch2/catch.hpp>

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/ssh.hpp"
#include "tests/support/support.hpp"

namespace {

std::string hex(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

}  // namespace

TEST_CASE("sha256 gives the standard's answers", "[digest]") {
    CHECK(hex(core::sha256("")) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex(core::sha256("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(core::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex(core::sha256(std::string(1000000, 'a'))) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("base64 round-trips and refuses what is not base64", "[digest]") {
    for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
        CHECK(core::base64_decode(core::base64_encode(s)) == s);
    CHECK(core::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(core::base64_encode("fo") == "Zm8=");
    CHECK_FALSE(core::base64_decode("Zm9v!"));
    CHECK_FALSE(core::base64_decode("Z"));
}

TEST_CASE("a key's fingerprint is the one ssh-keygen prints", "[digest]") {
    if (!test::have_program("ssh-keygen")) test::skip("ssh-keygen is missing");
    test::TempDir dir;
    for (const char* type : {"ed25519", "rsa", "ecdsa"}) {
        const auto key = dir / (std::string("id_") + type);
        REQUIRE(
            core::run({"ssh-keygen", "-q", "-t", type, "-N", "", "-f", key.string()}).exit_code ==
            0);
        const auto printed = core::run({"ssh-keygen", "-l", "-f", key.string() + ".pub"}).out;
        const auto pub = core::read_public_key_file(key.string() + ".pub");
        INFO(type << ": " << printed);
        CHECK(printed.find(" " + core::key_fingerprint(pub) + " ") != std::string::npos);
    }
}
