#pragma once

// Checks of option values that every command shares, applied where options are declared
// (decimal) or once after parsing (reject_empty_values).

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace cli {

// Makes a numeric option take decimal whole numbers only: "0x2", "010" read as octal, "1e3" or
// "2.0" are usage errors, not 2, 8 or 1000.
CLI::Option* decimal(CLI::Option* option);

// Throws core::Error (Usage) for an option given an empty value (--name '', --ttl ''): it is
// never what was meant. Positional arguments are left alone (a command's arguments after
// `--` may be empty on purpose).
void reject_empty_values(const CLI::App& app);

}  // namespace cli
