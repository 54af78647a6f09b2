#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "core/lifecycle.hpp"
#include "core/registry.hpp"

// `grid __complete WORD...` prints the candidates for the last word, one per line, as
// "value<TAB>description". The shell stubs in completions/ only call this, so the command
// tree, option values and live cluster ids are known in one place.

namespace cli {

namespace {

struct Candidate {
    std::string value;
    std::string description;
};

bool is_hidden(const CLI::App* app) {
    return app->get_group().empty();
}

bool takes_value(const CLI::Option* opt) {
    return opt->get_type_size_max() > 0;
}

const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
    // Global options fall through from the subcommands to the root.
    for (const CLI::App* a = app; a; a = a->get_parent()) {
        for (const CLI::Option* opt : a->get_options()) {
            if (opt->get_positional() && !opt->nonpositional()) continue;
            if (opt->check_name(word)) return opt;
        }
    }
    return nullptr;
}

CLI::App* find_subcommand(CLI::App* app, const std::string& word) {
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; }))
        if (sub->check_name(word)) return sub;
    return nullptr;
}

std::vector<const CLI::Option*> positionals(const CLI::App* app) {
    std::vector<const CLI::Option*> out;
    for (const CLI::Option* opt : app->get_options())
        if (!opt->nonpositional()) out.push_back(opt);
    return out;
}

void add_clusters(Context& ctx, std::vector<Candidate>& out, bool instances) {
    for (const auto& c : ctx.store().list_summaries()) {
        std::string d =
            std::string(core::to_string(c.status)) + " " + std::to_string(c.nodes) + "x" + c.type;
        if (!c.name.empty()) d = c.name + ", " + d;
        out.push_back({c.id, d});
        if (!c.name.empty()) out.push_back({c.name, c.id + ", " + d});
        if (!instances || c.status == core::State::Destroyed) continue;
        // Instance names follow from the cluster: no need to read the instances.
        if (c.nodes > 1) out.push_back({c.id + "-jumphost", "jumphost of " + c.id});
        for (int n = 0; n < c.nodes; ++n)
            out.push_back(
                {c.id + "-" + std::to_string(n), "node " + std::to_string(n) + " of " + c.id});
    }
}

void add_jobs(Context& ctx, std::vector<Candidate>& out) {
    for (const auto& j : ctx.scheduler().jobs()) {
        std::string d = j.state + " " + j.partition;
        if (!j.name.empty()) d += " " + j.name;
        out.push_back({j.id, d});
    }
}

void add_partitions(Context& ctx, std::vector<Candidate>& out) {
    for (const auto& p : ctx.scheduler().partitions()) {
        std::string d = p.state + ", " + std::to_string(p.nodes) + " nodes";
        if (p.gpus_total > 0) d += ", " + std::to_string(p.gpus_total) + " GPUs";
        if (p.is_default) d += ", default";
        out.push_back({p.name, d});
    }
}

// Values for a placeholder type name, as set with ->type_name() in the command files.
void add_values(Context& ctx, const std::string& type_name, std::vector<Candidate>& out) {
    if (type_name == "CLUSTER") return add_clusters(ctx, out, false);
    if (type_name == "INSTANCE|CLUSTER") return add_clusters(ctx, out, true);
    if (type_name == "JOB") return add_jobs(ctx, out);
    if (type_name == "PARTITION") return add_partitions(ctx, out);
    if (type_name == "PROVIDER") {
        for (const auto& n : core::provider_names())
            out.push_back({n, "provider"});
        return;
    }
    if (type_name == "PROFILE") {
        for (const auto& n : ctx.config().profile_names())
            out.push_back({n, "profile"});
        return;
    }
    if (type_name == "STATUS") {
        for (const auto s : core::k_all_states)
            out.push_back({core::to_string(s), "status"});
        return;
    }
    if (type_name == "TYPE") {
        core::Engine& e = ctx.engine();
        for (const auto& t : e.types(e.target("", ctx.global.profile)))
            out.push_back({t.name, std::to_string(t.available) + " available"});
        return;
    }
    if (type_name == "FIELD") {
        for (const char* f : {"created", "id", "name", "status", "type", "nodes", "expires"})
            out.push_back({f, "sort field"});
        return;
    }
    // Enumerations are spelled "a|b|c" in lower case.
    if (type_name.find('|') != std::string::npos &&
        std::none_of(type_name.begin(), type_name.end(),
                     [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) {
        std::size_t start = 0;
        while (start <= type_name.size()) {
            const auto bar = type_name.find('|', start);
            out.push_back({type_name.substr(start, bar - start), ""});
            if (bar == std::string::npos) break;
            start = bar + 1;
        }
    }
    // Anything else (files, durations, free text): no list; the shell falls back to files.
}

std::vector<Candidate> complete(Context& ctx, CLI::App* root,
                                const std::vector<std::string>& words) {
    std::vector<Candidate> out;
    if (words.empty()) return out;
    const std::string& cur = words.back();
    CLI::App* app = root;
    std::size_t positional_index = 0;
    const CLI::Option* pending_value = nullptr;
    bool after_dashdash = false;
    // The queue and the types to offer depend on these, wherever they are on the line.
    auto note_global = [&ctx](const CLI::Option* opt, const std::string& value) {
        if (opt->check_lname("profile")) ctx.global.profile = value;
        if (opt->check_lname("cluster")) ctx.global.cluster = value;
    };
    for (std::size_t k = 0; k + 1 < words.size(); ++k) {
        const std::string& w = words[k];
        if (pending_value) {
            note_global(pending_value, w);
            pending_value = nullptr;
            continue;
        }
        if (!after_dashdash && w == "--") {
            after_dashdash = true;
            continue;
        }
        if (!after_dashdash && w.size() > 1 && w[0] == '-') {
            const std::string name = w.substr(0, w.find('='));
            const CLI::Option* opt = find_option(app, name);
            const auto eq = w.find('=');
            if (opt && takes_value(opt) && eq == std::string::npos) pending_value = opt;
            if (opt && eq != std::string::npos) note_global(opt, w.substr(eq + 1));
            continue;
        }
        if (!after_dashdash && positional_index == 0) {
            if (CLI::App* sub = find_subcommand(app, w)) {
                app = sub;
                continue;
            }
        }
        ++positional_index;
    }
    if (pending_value) {
        add_values(ctx, pending_value->get_type_name(), out);
    } else if (!after_dashdash && !cur.empty() && cur[0] == '-') {
        for (const CLI::App* a = app; a; a = a->get_parent())
            for (const CLI::Option* opt : a->get_options()) {
                if (!opt->nonpositional()) continue;
                for (const auto& l : opt->get_lnames())
                    out.push_back({"--" + l, opt->get_description()});
            }
    } else {
        if (positional_index == 0 && !after_dashdash)
            for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
                if (!is_hidden(sub)) out.push_back({sub->get_name(), sub->get_description()});
        const auto pos = positionals(app);
        if (!pos.empty() && !after_dashdash) {
            // A repeatable positional (CLUSTER...) keeps offering values.
            const std::size_t i = std::min(positional_index, pos.size() - 1);
            if (positional_index < pos.size() || pos.back()->get_items_expected_max() > 1)
                add_values(ctx, pos[i]->get_type_name(), out);
        }
    }
    std::vector<Candidate> matching;
    for (auto& c : out)
        if (c.value.compare(0, cur.size(), cur) == 0 &&
            std::none_of(matching.begin(), matching.end(),
                         [&](const Candidate& m) { return m.value == c.value; }))
            matching.push_back(std::move(c));
    return matching;
}

}  // namespace

void run_complete(Context& ctx, CLI::App& root, std::vector<std::string> words) {
    // A shell waits on the candidates: one short try at a queue, then nothing offered.
    ctx.scheduler_patience = std::chrono::milliseconds(2000);
    if (!words.empty() && words.front() == "--") words.erase(words.begin());
    if (words.empty()) words.push_back("");
    try {
        for (const auto& c : complete(ctx, &root, words))
            std::cout << c.value << (c.description.empty() ? "" : "\t" + c.description) << '\n';
    } catch (const std::exception&) {
        // A completion that fails offers nothing rather than an error in the prompt.
    }
}

}  // namespace cli
