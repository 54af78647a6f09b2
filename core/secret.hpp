#pragma once

#include <string>

namespace core {

// Where a secret (an API key, a token) comes from: a command's output, or else a variable of
// the environment. It is kept in memory only, never written down.
struct SecretSource {
    std::string what;     // "Lambda API key", for messages
    std::string table;    // "[profiles.lab]", where the settings are
    std::string cmd_key;  // "api_key_cmd", the setting that names the command
    std::string cmd;      // run with /bin/sh -c; its stdout, trimmed, is the secret
    std::string env;      // used when there is no command
};

// Throws core::Error (Auth) when the command fails or prints nothing, or the variable is unset.
std::string read_secret(const SecretSource& source);

}  // namespace core
