#include "core/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace core {

void prepare_heap(std::size_t bytes) {
    // Once, whichever thread comes first. Blocks of any size from the heap, freed memory kept
    // for reuse, not returned, and one heap for all threads: a thread's own arena would fault
    // its pages one by one instead of using the prepared ones.
    static const bool tuned = [] {
        ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
        ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
        ::mallopt(M_ARENA_MAX, 1);
        return true;
    }();
    (void)tuned;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (bytes < 4 * page) return;
    // A block at the top of the heap, populated, then freed: the pages stay and are reused.
    void* block = std::malloc(bytes);
    if (!block) return;
    const auto start = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
    if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
    std::free(block);
}

void prepare_block(void* block, std::size_t bytes) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
}

}  // namespace core
