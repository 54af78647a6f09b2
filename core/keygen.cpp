#include "core/keygen.hpp"

#include "core/digest.hpp"

#include <dlfcn.h>
#include <sys/random.h>

#include <cstdint>
#include <cstring>
#include <mutex>

namespace core {

namespace {

// The few libcrypto functions needed, looked up at run time: the library is loaded only by the
// commands that make keys, and grid builds without OpenSSL's headers.
struct Crypto {
    using NewRawPrivate = void* (*)(int type, void* engine, const unsigned char* key,
                                    std::size_t len);
    using GetRawPublic = int (*)(const void* pkey, unsigned char* pub, std::size_t* len);
    using Free = void (*)(void* pkey);
    NewRawPrivate new_raw_private = nullptr;
    GetRawPublic get_raw_public = nullptr;
    Free free_key = nullptr;
    bool ok = false;
};

constexpr int k_evp_pkey_ed25519 = 1087;  // NID_ED25519, the same in OpenSSL 1.1.1 and 3

const Crypto& crypto() {
    static Crypto c;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = nullptr;
        for (const char* name : {"libcrypto.so.3", "libcrypto.so.1.1"})
            if ((lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
        if (!lib) return;
        c.new_raw_private =
            reinterpret_cast<Crypto::NewRawPrivate>(::dlsym(lib, "EVP_PKEY_new_raw_private_key"));
        c.get_raw_public =
            reinterpret_cast<Crypto::GetRawPublic>(::dlsym(lib, "EVP_PKEY_get_raw_public_key"));
        c.free_key = reinterpret_cast<Crypto::Free>(::dlsym(lib, "EVP_PKEY_free"));
        c.ok = c.new_raw_private && c.get_raw_public && c.free_key;
    });
    return c;
}

// SSH wire format: a uint32 length, then the bytes.
void put_u32(std::string& out, std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    out.append(b, 4);
}

void put_string(std::string& out, const std::string& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
}

bool random_bytes(unsigned char* buf, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::getrandom(buf + done, n - done, 0);
        if (r < 0) return false;
        done += static_cast<std::size_t>(r);
    }
    return true;
}

}  // namespace

std::optional<KeyPairText> ed25519_keypair(const std::string& comment) {
    const Crypto& c = crypto();
    if (!c.ok) return std::nullopt;
    unsigned char seed[32];
    unsigned char pub[32];
    std::size_t pub_len = sizeof pub;
    if (!random_bytes(seed, sizeof seed)) return std::nullopt;
    void* key = c.new_raw_private(k_evp_pkey_ed25519, nullptr, seed, sizeof seed);
    if (!key) return std::nullopt;
    const bool derived = c.get_raw_public(key, pub, &pub_len) == 1 && pub_len == sizeof pub;
    c.free_key(key);
    if (!derived) return std::nullopt;

    const std::string type = "ssh-ed25519";
    const std::string pk(reinterpret_cast<char*>(pub), sizeof pub);
    std::string public_blob;
    put_string(public_blob, type);
    put_string(public_blob, pk);

    // openssh-key-v1, unencrypted (PROTOCOL.key in OpenSSH's sources).
    std::uint32_t check = 0;
    random_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check);
    std::string secret;
    put_u32(secret, check);
    put_u32(secret, check);
    put_string(secret, type);
    put_string(secret, pk);
    put_string(secret,
               std::string(reinterpret_cast<char*>(seed), sizeof seed) + pk);  // seed || public
    put_string(secret, comment);
    for (char pad = 1; secret.size() % 8 != 0; ++pad)
        secret += pad;
    std::memset(seed, 0, sizeof seed);

    std::string blob("openssh-key-v1", 15);  // with its terminating NUL
    put_string(blob, "none");
    put_string(blob, "none");
    put_string(blob, "");
    put_u32(blob, 1);
    put_string(blob, public_blob);
    put_string(blob, secret);
    std::fill(secret.begin(), secret.end(), '\0');

    KeyPairText out;
    const std::string encoded = base64_encode(blob);
    std::fill(blob.begin(), blob.end(), '\0');
    out.private_key = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
    for (std::size_t i = 0; i < encoded.size(); i += 70)
        out.private_key += encoded.substr(i, 70) + "\n";
    out.private_key += "-----END OPENSSH PRIVATE KEY-----\n";
    out.public_key =
        type + " " + base64_encode(public_blob) + (comment.empty() ? "" : " " + comment);
    return out;
}

}  // namespace core
