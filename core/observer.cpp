#include "core/observer.hpp"

#include <atomic>

namespace core {

namespace {
std::atomic<bool> g_interrupted{false};
}

bool interrupted() {
    return g_interrupted.load(std::memory_order_relaxed);
}
void set_interrupted(bool value) {
    g_interrupted.store(value, std::memory_order_relaxed);
}

}  // namespace core
