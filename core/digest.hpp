#pragma once

// Base64 and SHA-256, for OpenSSH's key formats and fingerprints, computed in this process
// (ssh-keygen for each would cost a process start apiece).

#include <optional>
#include <string>
#include <string_view>

namespace core {

std::string base64_encode(std::string_view bytes);
// nullopt for text that is not base64 (padding optional, no white space).
std::optional<std::string> base64_decode(std::string_view text);
// The 32-byte digest.
std::string sha256(std::string_view bytes);

}  // namespace core
