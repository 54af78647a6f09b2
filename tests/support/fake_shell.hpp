#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/node_shell.hpp"

namespace test {

// Nodes that answer as the test says: every script run is recorded, and `answer` (by default
// "exit 0, no output") decides what each run returns. Thread-safe, as the engine runs nodes in
// parallel.
class FakeShell final : public core::NodeShell {
  public:
    struct Call {
        std::string cluster_id;
        std::string instance_id;
        std::string script;
    };
    using Answer = std::function<core::ShellResult(const Call&)>;

    core::ShellResult run(const core::Cluster& cluster, const std::string& instance_id,
                          const std::string& script, std::chrono::seconds) override {
        const Call call{cluster.id, instance_id, script};
        Answer answer;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_calls.push_back(call);
            answer = m_answer;
        }
        if (answer) return answer(call);
        core::ShellResult ok;
        ok.exit_code = 0;
        return ok;
    }

    void answer(Answer a) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_answer = std::move(a);
    }
    std::vector<Call> calls() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_calls;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<Call> m_calls;
    Answer m_answer;
};

}  // namespace test
