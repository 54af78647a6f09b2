#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>

namespace cli {

// One JSON document, indented, with a line end: what -o json prints.
void print_json(std::ostream& out, const nlohmann::json& doc);

}  // namespace cli
