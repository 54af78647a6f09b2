#pragma once

#include <chrono>
#include <string>

#include "core/observer.hpp"

namespace cli {

class Context;

// Shows state changes on stderr while a command works: on a terminal always (unless -q),
// elsewhere only with -v. stdout stays clean for the command's result.
class ProgressObserver final : public core::Observer {
  public:
    explicit ProgressObserver(Context& ctx);
    void on_transition(const std::string& instance_id, core::State from, core::State to,
                       const std::string& reason) override;
    void on_progress(const std::string& message) override;
    void on_warning(const std::string& message) override;
    bool tracing() const override;  // -vv
    void on_trace(const std::string& line) override;

  private:
    bool shown() const;
    Context& m_ctx;
    std::chrono::steady_clock::time_point m_start;
    std::string m_last_progress;
};

}  // namespace cli
