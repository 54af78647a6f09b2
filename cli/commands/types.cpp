#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/json_text.hpp"
#include "cli/output/type_views.hpp"

namespace cli {

namespace {

struct TypesOptions {
    std::string provider;
};

void run_types(Context& ctx, const TypesOptions& o) {
    core::Engine& engine = ctx.engine();
    const core::Target target = engine.target(o.provider, ctx.global.profile);
    const auto types = engine.types(target);
    if (ctx.json())
        print_types_json(std::cout, target.provider, types);
    else if (ctx.quiet())
        for (const auto& t : types)
            std::cout << t.name << '\n';
    else
        print_types_table(std::cout, types, ctx.color_stdout());
}

}  // namespace

void register_types(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<TypesOptions>();
    auto* cmd = parent.add_subcommand("types", "List instance types with prices and free capacity");
    cmd->add_option("--provider", o->provider, "Provider to ask (default: local)")
        ->type_name("PROVIDER");
    add_examples(*cmd, {"grid types", "grid types --profile lab -o json"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_types(ctx, *o); }; });
}

}  // namespace cli
