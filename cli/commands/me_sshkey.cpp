#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.hpp"
#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/key_views.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/ssh.hpp"
#include "core/text.hpp"

namespace cli {

namespace {

struct SshKeyOptions {
    std::string pubkey;
    std::string name;
};

void run_me_sshkey(Context& ctx, const SshKeyOptions& o) {
    core::Store& store = ctx.store();
    if (!o.pubkey.empty()) {
        const core::PublicKey key = core::read_public_key_file(o.pubkey);
        if (!o.name.empty() && core::has_control_characters(o.name))
            throw core::Error(core::ErrorKind::Usage,
                              "invalid key name " + core::quoted_input(o.name),
                              "use printable characters");
        core::SshKey k;
        k.public_key = key.line();
        k.fingerprint = core::key_fingerprint(key);
        k.name = !o.name.empty() ? o.name : !key.comment.empty() ? key.comment : k.fingerprint;
        k.created_at = core::now_unix();
        store.add_key(k);
        if (!ctx.json() && !ctx.quiet())
            std::cerr << "Added " << k.name << " (" << k.fingerprint
                      << "); new clusters authorize it unless -i is given.\n";
    }
    const auto keys = store.keys();
    if (ctx.json())
        print_keys_json(std::cout, keys);
    else if (ctx.quiet())
        for (const auto& k : keys)
            std::cout << k.name << '\n';
    else if (keys.empty())
        std::cerr << "No SSH keys registered. Add one with: grid me sshkey ~/.ssh/id_ed25519.pub\n";
    else if (o.pubkey.empty())
        print_keys_table(std::cout, keys, ctx.color_stdout());
}

}  // namespace

void register_me_sshkey(CLI::App& parent, Context& ctx) {
    auto o = std::make_shared<SshKeyOptions>();
    auto* cmd = parent.add_subcommand(
        "sshkey", "Register a public key for new clusters, or list the registered keys");
    cmd->add_option("PUBKEY", o->pubkey, "Public key file to register, e.g. ~/.ssh/id_ed25519.pub")
        ->type_name("PUBKEY");
    cmd->add_option("--name", o->name, "Name for the key (default: its comment)")
        ->type_name("NAME");
    add_examples(*cmd, {"grid me sshkey ~/.ssh/id_ed25519.pub", "grid me sshkey"});
    cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { run_me_sshkey(ctx, *o); }; });
}

}  // namespace cli
