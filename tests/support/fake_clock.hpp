#pragma once

#include <atomic>
#include <chrono>

#include "core/clock.hpp"
#include "core/duration.hpp"

namespace test {

// Time that passes only when the engine sleeps: waits, backoffs and bounds run at once.
// Atomic: an operation's heartbeat thread reads it too.
class FakeClock final : public core::Clock {
  public:
    Instant now() const override { return Instant(m_elapsed.load()); }
    std::int64_t unix_now() const override {
        return m_start + std::chrono::duration_cast<std::chrono::seconds>(m_elapsed.load()).count();
    }
    void sleep(std::chrono::milliseconds d) override { advance(d); }
    void advance(std::chrono::milliseconds d) { m_elapsed = m_elapsed.load() + d; }
    std::chrono::milliseconds slept() const { return m_elapsed.load(); }

  private:
    std::int64_t m_start = core::now_unix();
    std::atomic<std::chrono::milliseconds> m_elapsed{std::chrono::milliseconds(0)};
};

}  // namespace test
