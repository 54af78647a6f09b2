#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <limits>
#include <set>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/cluster_views.hpp"
#include "cli/output/json_text.hpp"
#include "cli/output/progress.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/memory.hpp"

namespace cli {

namespace {

struct ListOptions {
    std::vector<std::string> status;
    bool all = false;
    std::string search;
    std::string provider;
    std::string sort = "created";
    bool refresh = false;
};

const std::vector<std::string> k_sort_fields = {"created", "id",    "name",   "status",
                                                "type",    "nodes", "expires"};

bool contains_ci(const std::string& haystack, const std::string& needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) {
                              return std::tolower(static_cast<unsigned char>(a)) ==
                                     std::tolower(static_cast<unsigned char>(b));
                          });
    return it != haystack.end();
}

bool matches_search(const core::ClusterSummary& c, const std::string& text) {
    if (contains_ci(c.id, text) || contains_ci(c.name, text) || contains_ci(c.type, text) ||
        contains_ci(c.provider, text) || contains_ci(c.group, text))
        return true;
    for (const auto& [k, v] : c.labels)
        if (contains_ci(k + "=" + v, text)) return true;
    return false;
}

// Sorts pointers: moving whole clusters around costs more than the rest of the command.
void sort_clusters(std::vector<const core::ClusterSummary*>& list, const std::string& field) {
    using C = const core::ClusterSummary*;
    auto by = [&](auto key) {
        std::stable_sort(list.begin(), list.end(), [&](C a, C b) { return key(a) < key(b); });
    };
    if (field == "created") return;  // the store's order
    if (field == "id")
        by([](C c) { return c->id; });
    else if (field == "name")
        by([](C c) { return c->name; });
    else if (field == "type")
        by([](C c) { return c->type; });
    else if (field == "nodes")
        by([](C c) { return c->nodes; });
    // Most urgent first: failures, then clusters still changing, then running ones.
    else if (field == "status")
        by([](C c) { return -core::status_priority(c->status); });
    else if (field == "expires")
        by([](C c) { return c->expires_at.value_or(std::numeric_limits<std::int64_t>::max()); });
}

void run_cluster_list(Context& ctx, const ListOptions& o) {
    std::set<core::State> wanted;
    for (const auto& s : o.status) {
        const auto st = core::parse_state(s);
        if (!st)
            throw core::Error(core::ErrorKind::Usage, "unknown status '" + s + "'",
                              "statuses: PENDING PROVISIONING CONFIGURING CONTAINER_CREATING "
                              "RUNNING DESTROYING DESTROYED FAILED");
        wanted.insert(*st);
    }
    if (std::find(k_sort_fields.begin(), k_sort_fields.end(), o.sort) == k_sort_fields.end())
        throw core::Error(core::ErrorKind::Usage, "cannot sort by '" + o.sort + "'",
                          "fields: created, id, name, status, type, nodes, expires");

    core::ClusterQuery q;
    q.include_archived = o.all;
    q.provider = o.provider;
    if (o.refresh)
        ctx.engine().refresh_all(o.provider);
    else if (ctx.store().cluster_count() == 0)
        ctx.engine().check_store_not_lost();
    q.details = ctx.json() || !o.search.empty();
    // About what a cluster costs in memory here, rows and output included (see core/memory.hpp).
    constexpr std::size_t k_bytes_per_cluster = 1024;
    core::prepare_heap(ctx.store().cluster_count() * k_bytes_per_cluster * (ctx.json() ? 4 : 1));
    const auto clusters = ctx.store().list_summaries(q);
    std::vector<const core::ClusterSummary*> shown;
    for (const auto& c : clusters) {
        if (!wanted.empty() && !wanted.count(c.status)) continue;
        if (!o.search.empty() && !matches_search(c, o.search)) continue;
        shown.push_back(&c);
    }
    sort_clusters(shown, o.sort);

    if (ctx.json())
        print_clusters_json(std::cout, shown);
    else if (ctx.quiet()) {
        std::string ids;
        for (const auto* c : shown)
            ids += c->id + '\n';
        std::cout << ids;
    } else if (shown.empty())
        std::cerr << (clusters.empty() ? "No clusters. Create one with: grid cluster create 1xH100 "
                                         "-i ~/.ssh/id_ed25519.pub\n"
                                       : "No cluster matches.\n");
    else
        print_clusters_table(std::cout, shown, core::now_unix(), ctx.color_stdout());
}

}  // namespace

void register_cluster_list(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<ListOptions>();
    auto* cmd = parent.add_subcommand("list", "List clusters");
    cmd->alias("ls");
    cmd->add_option("--status", o->status, "Only clusters with these statuses (comma-separated)")
        ->delimiter(',')
        ->type_name("STATUS");
    cmd->add_flag("-a,--all", o->all, "Include archived clusters");
    cmd->add_option("--search", o->search,
                    "Only clusters whose id, name, type, group or labels contain TEXT")
        ->type_name("TEXT");
    cmd->add_option("--provider", o->provider, "Only clusters of this provider")
        ->type_name("PROVIDER");
    cmd->add_option("--sort", o->sort,
                    "Sort by created (default), id, name, status, type, nodes, expires")
        ->type_name("FIELD");
    cmd->add_flag("--refresh", o->refresh,
                  "Ask the providers for the current state first, and record instances "
                  "named by grid that this store does not know");
    add_examples(*cmd, {"grid cluster list --status RUNNING --sort expires",
                        "grid cluster list --refresh -o json"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_cluster_list(ctx, *o); }; });
}

}  // namespace cli
