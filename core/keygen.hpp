#pragma once

#include <optional>
#include <string>

namespace core {

// An ed25519 key pair in OpenSSH's formats, made in this process. Creating clusters makes one
// key per node (its host key) and one per cluster; running ssh-keygen for each costs a process
// start apiece, which is most of a node's start-up on a small machine.
struct KeyPairText {
    std::string private_key;  // "-----BEGIN OPENSSH PRIVATE KEY-----..." (unencrypted)
    std::string public_key;   // "ssh-ed25519 AAAA... comment"
};

// nullopt when libcrypto (OpenSSL 1.1 or 3, which OpenSSH itself uses) cannot be loaded;
// callers then fall back to ssh-keygen.
std::optional<KeyPairText> ed25519_keypair(const std::string& comment);

}  // namespace core
