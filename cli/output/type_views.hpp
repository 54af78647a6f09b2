#pragma once

// Instance types (`grid types`), for people and for programs (-o json).

#include <ostream>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace cli {

void print_types_table(std::ostream& out, const std::vector<core::InstanceType>& types, bool color);
void print_types_json(std::ostream& out, const std::string& provider,
                      const std::vector<core::InstanceType>& types);

}  // namespace cli
