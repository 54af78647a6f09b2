#pragma once

#include <string>
#include <string_view>

namespace core {

// ASCII case and whitespace, for names, keys and words from APIs and config files.
std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string trim(std::string_view text);  // spaces, tabs and line ends at both ends
// The last line that is not blank, trimmed: the gist of a program's error output.
std::string last_line(std::string_view text);
// One word for a POSIX shell, quoted only when it needs to be: a remote command line that
// ssh hands to the login shell is built from these.
std::string shell_quote(std::string_view word);

}  // namespace core
