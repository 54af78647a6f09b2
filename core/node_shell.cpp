#include "core/node_shell.hpp"

#include "core/errors.hpp"
#include "core/process.hpp"
#include "core/ssh.hpp"

namespace core {

namespace {

class SshShell final : public NodeShell {
  public:
    explicit SshShell(Paths paths) : m_paths(std::move(paths)) {}

    ShellResult run(const Cluster& cluster, const std::string& instance_id,
                    const std::string& script, std::chrono::seconds timeout) override {
        RunOptions o;
        o.timeout = timeout;
        o.input = script;
        ShellResult r;
        try {
            const auto done = core::run(
                ssh_argv(ssh_files(m_paths, cluster.id), instance_id, true, {"sh", "-s"}), o);
            r.exit_code = done.exit_code;
            r.timed_out = done.timed_out;
            r.out = done.out;
            r.err = done.err;
        } catch (const Error& e) {
            r.err = e.what();  // ssh itself could not be started
        }
        return r;
    }

  private:
    Paths m_paths;
};

}  // namespace

std::unique_ptr<NodeShell> make_ssh_shell(const Paths& paths) {
    return std::make_unique<SshShell>(paths);
}

}  // namespace core
