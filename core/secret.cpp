#include "core/secret.hpp"

#include <chrono>
#include <cstdlib>

#include "core/errors.hpp"
#include "core/process.hpp"
#include "core/text.hpp"

namespace core {

std::string read_secret(const SecretSource& s) {
    if (!s.cmd.empty()) {
        RunOptions o;
        o.timeout = std::chrono::seconds(30);
        const auto r = run({"/bin/sh", "-c", s.cmd}, o);
        if (r.exit_code != 0)
            throw Error(
                ErrorKind::Auth,
                s.cmd_key + " of " + s.table + " failed (exit " + std::to_string(r.exit_code) + ")",
                "run it by hand to see why: " + s.cmd);
        std::string secret = trim(r.out);
        if (secret.empty())
            throw Error(ErrorKind::Auth, s.cmd_key + " of " + s.table + " printed nothing",
                        "it must print the " + s.what + " on stdout");
        return secret;
    }
    const char* v = std::getenv(s.env.c_str());
    std::string secret = v ? trim(v) : std::string();
    if (secret.empty())
        throw Error(ErrorKind::Auth, "no " + s.what + ": $" + s.env + " is not set",
                    "export " + s.env + "=..., or set " + s.cmd_key + " in " + s.table);
    return secret;
}

}  // namespace core
