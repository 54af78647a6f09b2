#include "backends/http/pacer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include "core/errors.hpp"
#include "core/files.hpp"

namespace backends::http {

namespace {

using std::chrono::milliseconds;

std::int64_t now_ms() {
    // Wall-clock time: the file is read by other processes, which share no steady clock.
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Pacer::Pacer(std::filesystem::path file, milliseconds interval)
    : m_file(std::move(file)), m_interval(interval) {}

milliseconds Pacer::claim(milliseconds extra_hold) {
    core::ensure_dir(m_file.parent_path());
    const int fd = ::open(m_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return milliseconds(0);  // no shared pacing; the server's 429s still apply
    ::flock(fd, LOCK_EX);
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::int64_t next = n > 0 ? std::strtoll(buf, nullptr, 10) : 0;
    const std::int64_t now = now_ms();
    milliseconds wait{0};
    if (extra_hold.count() > 0) {
        next = std::max(next, now + extra_hold.count());
    } else if (now < next) {
        wait = milliseconds(next - now);
    } else {
        next = now + m_interval.count();
    }
    if (wait.count() == 0) {
        const std::string text = std::to_string(next) + "\n";
        (void)!::pwrite(fd, text.data(), text.size(), 0);
        (void)!::ftruncate(fd, static_cast<off_t>(text.size()));
    }
    ::flock(fd, LOCK_UN);
    ::close(fd);
    return wait;
}

void Pacer::wait(const std::function<bool()>& cancelled) {
    if (m_interval.count() <= 0) return;
    for (;;) {
        const milliseconds w = claim(milliseconds(0));
        if (w.count() == 0) return;
        const auto until = std::chrono::steady_clock::now() + w;
        while (std::chrono::steady_clock::now() < until) {
            if (cancelled && cancelled())
                throw core::Error(core::ErrorKind::Interrupted, "interrupted");
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                until - std::chrono::steady_clock::now(), milliseconds(50)));
        }
    }
}

void Pacer::done() {
    if (m_interval.count() > 0) claim(m_interval);
}

void Pacer::hold(milliseconds delay) {
    if (delay.count() > 0) claim(delay);
}

}  // namespace backends::http
