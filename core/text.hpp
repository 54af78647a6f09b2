#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace core {

// ASCII case and whitespace, for names, keys and words from APIs and config files.
std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string trim(std::string_view text);  // spaces, tabs and line ends at both ends
// The last line that is not blank, trimmed: the gist of a program's error output.
std::string last_line(std::string_view text);
// Text from outside (a provider, a user, a file) made safe to print on a terminal: control
// characters (C0, DEL, C1) become escapes such as \n and \x1b; the rest is kept.
std::string printable(std::string_view text);
bool has_control_characters(std::string_view text);
// What a user typed, for an error message: quoted, printable, and cut to its first
// characters when long ("'aaaa...' (10000 characters)").
std::string quoted_input(std::string_view text);

// The candidate nearest to a misspelt word (a letter or two off), or "" when none is near.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// One word for a POSIX shell, quoted only when it needs to be: a remote command line that
// ssh hands to the login shell is built from these.
std::string shell_quote(std::string_view word);

}  // namespace core
