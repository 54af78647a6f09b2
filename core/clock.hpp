#pragma once

#include <chrono>
#include <cstdint>

namespace core {

// Time, as the engine sees it: a seam, so that tests drive waits, backoffs, expiries and
// heartbeats without sleeping.
class Clock {
  public:
    using Instant = std::chrono::steady_clock::time_point;

    virtual ~Clock() = default;
    // Monotonic: for deadlines and backoffs.
    virtual Instant now() const = 0;
    // Wall-clock time in seconds since the epoch: for what is recorded (created, expires).
    virtual std::int64_t unix_now() const = 0;
    virtual void sleep(std::chrono::milliseconds duration) = 0;
};

// The machine's clocks.
Clock& system_clock();

}  // namespace core
