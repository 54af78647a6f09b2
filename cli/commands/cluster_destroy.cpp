#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/cluster_views.hpp"
#include "cli/output/json_text.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

struct DestroyOptions {
    std::vector<std::string> clusters;
    bool no_wait = false;
};

void run_cluster_destroy(Context& ctx, const DestroyOptions& o) {
    core::Engine& engine = ctx.engine();
    // Resolve everything first: one unknown id changes nothing.
    std::vector<core::Cluster> targets;
    for (const auto& text : o.clusters) {
        const core::Cluster c = engine.load(engine.resolve_cluster(text));
        const bool dup = std::any_of(targets.begin(), targets.end(),
                                     [&](const core::Cluster& t) { return t.id == c.id; });
        if (!dup) targets.push_back(c);
    }
    std::string what;
    for (const auto& c : targets)
        what += (what.empty() ? "" : ", ") + c.id + " (" + std::to_string(c.nodes) + " x " +
                c.type + ", " + core::to_string(c.status()) + ")";
    const std::string question =
        "destroy " + std::string(targets.size() == 1 ? "cluster " : "clusters ") + what;
    if (!ctx.confirm(question, "pass --yes to destroy without asking"))
        throw core::Error(core::ErrorKind::Usage, "not confirmed; nothing was destroyed");

    std::vector<core::Cluster> done;
    for (const auto& c : targets)
        done.push_back(engine.destroy(c.id, core::EndReason::DestroyedByUser, "", !o.no_wait));
    print_clusters(std::cout, done, ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void register_cluster_destroy(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<DestroyOptions>();
    auto* cmd = parent.add_subcommand("destroy", "Destroy clusters: stop and release every node");
    cmd->alias("rm");
    cmd->add_option("CLUSTER", o->clusters, "Cluster ids, unique id prefixes, or names")
        ->required()
        ->type_name("CLUSTER");
    cmd->add_flag("--no-wait", o->no_wait, "Return once the provider has been asked");
    add_examples(*cmd,
                 {"grid cluster destroy train", "grid cluster destroy k3m9x2ab p1a9ejqa --yes"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_cluster_destroy(ctx, *o); }; });
}

}  // namespace cli
