#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/completion_scripts.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

struct CompletionOptions {
    std::string shell;
};

void run_completion(const CompletionOptions& o) {
    if (o.shell == "bash")
        std::cout << k_bash_completion;
    else if (o.shell == "zsh")
        std::cout << k_zsh_completion;
    else
        throw core::Error(core::ErrorKind::Usage, "no completion for shell '" + o.shell + "'",
                          "use: grid completion bash, or grid completion zsh");
}

}  // namespace

void register_completion(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<CompletionOptions>();
    auto* cmd =
        parent.add_subcommand("completion", "Print the shell completion script (bash or zsh)");
    cmd->add_option("SHELL", o->shell, "bash or zsh")->required()->type_name("bash|zsh");
    add_examples(*cmd, {"source <(grid completion bash)", "grid completion zsh > ~/.zfunc/_grid"});
    cmd->callback([&ctx, o] { ctx.run = [o] { run_completion(*o); }; });
}

}  // namespace cli
