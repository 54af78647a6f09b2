#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cli {

class Context;

// One file per command; each adds its subcommand to `parent` and, when the parser selects it,
// sets Context::run.
void register_cluster_create(CLI::App& parent, Context& ctx);
void register_cluster_list(CLI::App& parent, Context& ctx);
void register_cluster_info(CLI::App& parent, Context& ctx);
void register_cluster_destroy(CLI::App& parent, Context& ctx);
void register_cluster_archive(CLI::App& parent, Context& ctx);
void register_queue_list(CLI::App& parent, Context& ctx);
void register_queue_info(CLI::App& parent, Context& ctx);
void register_queue_partitions(CLI::App& parent, Context& ctx);
void register_queue_nodes(CLI::App& parent, Context& ctx);
void register_queue_submit(CLI::App& parent, Context& ctx);
void register_queue_cancel(CLI::App& parent, Context& ctx);
void register_queue_hold(CLI::App& parent, Context& ctx);
void register_queue_release(CLI::App& parent, Context& ctx);
void register_queue_top(CLI::App& parent, Context& ctx);
void register_queue_bottom(CLI::App& parent, Context& ctx);
void register_queue_move(CLI::App& parent, Context& ctx);
void register_queue_clear(CLI::App& parent, Context& ctx);
void register_queue_create(CLI::App& parent, Context& ctx);
void register_queue_delete(CLI::App& parent, Context& ctx);
void register_queue_rename(CLI::App& parent, Context& ctx);
void register_types(CLI::App& parent, Context& ctx);
void register_me_sshkey(CLI::App& parent, Context& ctx);
void register_ssh(CLI::App& parent, Context& ctx);
void register_ssh_config(CLI::App& parent, Context& ctx);
void register_completion(CLI::App& parent, Context& ctx);
void register_watchdog(CLI::App& parent, Context& ctx);  // hidden: __watchdog
void register_teardown(CLI::App& parent, Context& ctx);  // hidden: __teardown

// `grid __complete WORD...`: handled before parsing, as its words are data, not options.
void run_complete(Context& ctx, CLI::App& root, std::vector<std::string> words);

}  // namespace cli
