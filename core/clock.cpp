#include "core/clock.hpp"

#include <thread>

#include "core/duration.hpp"

namespace core {

namespace {

class SystemClock final : public Clock {
  public:
    Instant now() const override { return std::chrono::steady_clock::now(); }
    std::int64_t unix_now() const override { return now_unix(); }
    void sleep(std::chrono::milliseconds duration) override {
        std::this_thread::sleep_for(duration);
    }
};

}  // namespace

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

}  // namespace core
