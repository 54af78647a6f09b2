#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/cluster_views.hpp"
#include "cli/output/json_text.hpp"

namespace cli {

namespace {

struct ArchiveOptions {
    std::vector<std::string> clusters;
};

void run_cluster_archive(Context& ctx, const ArchiveOptions& o) {
    core::Engine& engine = ctx.engine();
    std::vector<std::string> ids;
    for (const auto& text : o.clusters)
        ids.push_back(engine.resolve_cluster(text, true));
    engine.archive(ids);
    std::vector<core::Cluster> done;
    for (const auto& id : ids)
        done.push_back(engine.load(id));
    print_clusters(std::cout, done, ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_cluster_archive(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<ArchiveOptions>();
    auto* cmd =
        parent.add_subcommand("archive", "Hide ended clusters from cluster list (see --all)");
    cmd->add_option("CLUSTER", o->clusters, "Cluster ids, unique id prefixes, or names")
        ->required()
        ->type_name("CLUSTER");
    add_examples(*cmd,
                 {"grid cluster archive k3m9x2ab",
                  "grid cluster list --status DESTROYED,FAILED -q | xargs grid cluster archive"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_cluster_archive(ctx, *o); }; });
}

}  // namespace cli
