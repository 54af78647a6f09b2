#pragma once

namespace cli {

// The files of completions/, compiled in so that `grid completion SHELL` needs no install.
extern const char* const k_bash_completion;
extern const char* const k_zsh_completion;

}  // namespace cli
