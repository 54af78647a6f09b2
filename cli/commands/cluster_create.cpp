#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/option_checks.hpp"
#include "cli/output/cluster_views.hpp"
#include "cli/output/json_text.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/ssh.hpp"

namespace cli {

namespace {

struct CreateOptions {
    std::string type;
    int nodes = 1;
    std::vector<std::string> identities;
    std::string name;
    std::string provider;
    std::string region;
    std::string container;
    std::string ttl;
    std::vector<std::string> labels;
    std::string group;
    bool no_wait = false;
    std::string timeout = "10m";
    bool dry_run = false;
};

std::vector<std::string> public_keys(Context& ctx, const CreateOptions& o) {
    std::vector<std::string> keys;
    for (const auto& path : o.identities)
        keys.push_back(core::read_public_key_file(path).line());
    if (keys.empty())
        for (const auto& k : ctx.store().keys())
            keys.push_back(k.public_key);
    return keys;
}

void run_cluster_create(Context& ctx, const CreateOptions& o) {
    core::CreateRequest r;
    r.type = o.type;
    r.nodes = o.nodes;
    if (!o.name.empty()) r.name = o.name;
    r.provider = o.provider;
    r.region = o.region;
    r.profile = ctx.global.profile;
    r.container = o.container;
    r.group = o.group;
    for (const auto& l : o.labels) {
        const auto eq = l.find('=');
        if (eq == std::string::npos || eq == 0)
            throw core::Error(core::ErrorKind::Usage, "invalid label '" + l + "'",
                              "use --label KEY=VALUE");
        r.labels[l.substr(0, eq)] = l.substr(eq + 1);
    }
    if (!o.ttl.empty()) r.ttl = core::parse_duration(o.ttl);
    r.timeout = core::parse_duration(o.timeout);
    r.wait = !o.no_wait;
    r.public_keys = public_keys(ctx, o);

    core::Engine& engine = ctx.engine();
    if (o.dry_run) {
        const core::Cluster plan = engine.plan(r);
        if (ctx.json()) {
            auto doc = cluster_json(plan);
            doc["dry_run"] = true;
            print_json(std::cout, doc);
        } else if (ctx.quiet()) {
            std::cout << plan.id << '\n';
        } else {
            std::cout << "Would create " << plan.nodes << " x " << plan.type << " on "
                      << plan.provider << (plan.multi_node() ? " with a jumphost" : "")
                      << ": nothing was created (--dry-run).\n";
            for (const auto& i : plan.instances)
                std::cout << "  " << i.id << "  " << core::to_string(i.role) << '\n';
        }
        return;
    }
    const core::Cluster c = engine.create(r);
    if (ctx.json())
        print_cluster_json(std::cout, c);
    else if (ctx.quiet())
        std::cout << c.id << '\n';
    else {
        std::cout << c.id << '\n';
        if (!o.no_wait)
            std::cerr << "Cluster " << c.id << " is " << core::to_string(c.status())
                      << ". Connect: grid ssh " << c.id << '\n';
    }
}

}  // namespace

void register_cluster_create(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<CreateOptions>();
    auto* cmd =
        parent.add_subcommand("create", "Create a cluster and wait until every node answers ssh");
    cmd->add_option("TYPE", o->type, "Instance type, e.g. 1xH100, 8xH200 (see: grid types)")
        ->required()
        ->type_name("TYPE");
    decimal(cmd->add_option("-n,--nodes", o->nodes, "Number of nodes; 2 or more adds a jumphost"))
        ->type_name("N");
    cmd->add_option("-i,--identity", o->identities, "Public key file to authorize (repeatable)")
        ->type_name("PUBKEY");
    cmd->add_option("--name", o->name, "A name to refer to the cluster by")->type_name("NAME");
    cmd->add_option("--provider", o->provider, "Provider to create on (default: local)")
        ->type_name("PROVIDER");
    cmd->add_option("--region", o->region, "Region to create in (default: one with capacity)")
        ->type_name("REGION");
    cmd->add_option("--container", o->container, "Container image to run (single-node only)")
        ->type_name("IMAGE");
    cmd->add_option("--ttl", o->ttl, "Destroy the cluster after this long, e.g. 2h")
        ->type_name("DUR");
    cmd->add_option("--label", o->labels, "Label KEY=VALUE (repeatable)")->type_name("KEY=VALUE");
    cmd->add_option("--group", o->group, "Resource group CATEGORY:GROUP")
        ->type_name("CATEGORY:GROUP");
    cmd->add_flag("--no-wait", o->no_wait, "Return once the instances are launched");
    cmd->add_option("--timeout", o->timeout, "How long to wait for RUNNING (default 10m)")
        ->type_name("DUR");
    cmd->add_flag("--dry-run", o->dry_run, "Check the request and show what would be created");
    add_examples(*cmd, {"grid cluster create 1xH100 -i ~/.ssh/id_ed25519.pub",
                        "grid cluster create 8xH100 -n 2 --name train --ttl 8h"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_cluster_create(ctx, *o); }; });
}

}  // namespace cli
