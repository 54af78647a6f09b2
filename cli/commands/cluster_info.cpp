#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/cluster_views.hpp"
#include "cli/output/json_text.hpp"
#include "cli/output/progress.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

struct InfoOptions {
    std::string cluster;
};

void run_cluster_info(Context& ctx, const InfoOptions& o) {
    core::Engine& engine = ctx.engine();
    const std::string id = engine.resolve_cluster(o.cluster, true);
    core::Cluster c;
    try {
        c = engine.refresh(id);
    } catch (const core::Error& e) {
        // The stored view is still worth showing when the provider cannot be asked.
        if (e.kind() != core::ErrorKind::Provider && e.kind() != core::ErrorKind::Auth &&
            e.kind() != core::ErrorKind::Timeout)
            throw;
        ctx.observer().on_warning(std::string("showing stored state: ") + e.what());
        c = engine.load(id);
    }
    if (ctx.json())
        print_cluster_json(std::cout, c);
    else if (ctx.quiet())
        std::cout << c.id << '\n';
    else
        print_cluster_table(std::cout, c, core::now_unix(), ctx.color_stdout());
}

}  // namespace

void register_cluster_info(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<InfoOptions>();
    auto* cmd = parent.add_subcommand("info", "Show a cluster, its nodes and how to reach them");
    cmd->add_option("CLUSTER", o->cluster, "Cluster id, unique id prefix, or name")
        ->required()
        ->type_name("CLUSTER");
    add_examples(*cmd, {"grid cluster info train", "grid cluster info k3m9 -o json"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_cluster_info(ctx, *o); }; });
}

}  // namespace cli
