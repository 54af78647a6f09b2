#pragma once

// The SSH keys registered for new clusters (`grid me sshkey`), for people and for programs.

#include <ostream>
#include <vector>

#include "core/model.hpp"

namespace cli {

void print_keys_table(std::ostream& out, const std::vector<core::SshKey>& keys, bool color);
void print_keys_json(std::ostream& out, const std::vector<core::SshKey>& keys);

}  // namespace cli
