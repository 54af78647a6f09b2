#include "cli/output/json_text.hpp"

#include <nlohmann/json.hpp>

namespace cli {

void print_json(std::ostream& out, const nlohmann::json& doc) {
    out << doc.dump(2) << '\n';
}

}  // namespace cli
