#include "cli/option_checks.hpp"

#include <CLI/CLI.hpp>

#include "core/errors.hpp"

namespace cli {

CLI::Option* decimal(CLI::Option* option) {
    static const CLI::Validator whole_number(
        [](std::string& value) -> std::string {
            const bool digits =
                !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
            if (digits && (value.size() == 1 || value[0] != '0')) return "";
            return "takes a whole number in decimal, not '" + value + "'";
        },
        "", "decimal");
    return option->check(whole_number);
}

void reject_empty_values(const CLI::App& app) {
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_positional() || o->get_type_size() == 0 || o->count() == 0) continue;
        for (const auto& value : o->results())
            if (value.empty())
                throw core::Error(core::ErrorKind::Usage, o->get_name() + " needs a value",
                                  "give one, or leave " + o->get_name() + " out");
    }
    for (const CLI::App* sub : app.get_subcommands())
        reject_empty_values(*sub);
}

}  // namespace cli
