#pragma once

// A command run on a node: the seam between the engine and the machines it checks and sets up.
// The real one is ssh with the cluster's files (workers through the jumphost); tests put a fake
// here and drive CONFIGURING -> RUNNING, key and volume changes without a machine.

#include <chrono>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/model.hpp"

namespace core {

struct ShellResult {
    int exit_code = -1;
    bool timed_out = false;
    std::string out;
    std::string err;
    bool ok() const { return exit_code == 0 && !timed_out; }
};

class NodeShell {
  public:
    virtual ~NodeShell() = default;
    // Runs `script` with /bin/sh on the instance. The script goes on stdin, so that nothing in
    // it (a key) shows in a command line. Thread-safe: the engine runs nodes in parallel.
    virtual ShellResult run(const Cluster& cluster, const std::string& instance_id,
                            const std::string& script, std::chrono::seconds timeout) = 0;
};

// ssh with the cluster's files under `paths` (core/ssh), in batch mode: never a prompt. The
// engine writes those files before it runs anything.
std::unique_ptr<NodeShell> make_ssh_shell(const Paths& paths);

}  // namespace core
