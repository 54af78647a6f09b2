#pragma once

#include <chrono>
#include <filesystem>
#include <functional>

namespace backends::http {

// Spaces requests of one kind at least `interval` apart, for every grid process on this
// machine that shares the file: an API's rate limit is per account, not per process. Waiting
// here costs less than a 429 and its Retry-After. The server measures the time between
// arrivals, which grid cannot see; counting the interval from the reply (done()) keeps the
// arrivals at least `interval` apart however long connecting and sending took.
class Pacer {
  public:
    Pacer(std::filesystem::path file, std::chrono::milliseconds interval);

    // Returns when the next request may go, having claimed that slot. Throws core::Error
    // (Interrupted) when `cancelled` says so while waiting.
    void wait(const std::function<bool()>& cancelled = {});
    // The request has been answered (or has failed): the next one goes `interval` from now.
    void done();
    // The server asked for a pause (Retry-After): nobody goes before `delay` from now.
    void hold(std::chrono::milliseconds delay);

    std::chrono::milliseconds interval() const { return m_interval; }

  private:
    // Under the file's lock: the wait until the next slot is free, or zero having taken it.
    std::chrono::milliseconds claim(std::chrono::milliseconds extra_hold);

    std::filesystem::path m_file;
    std::chrono::milliseconds m_interval;
};

}  // namespace backends::http
