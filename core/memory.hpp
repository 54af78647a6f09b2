#pragma once

#include <cstddef>

namespace core {

// Makes the next `bytes` of heap ready in one system call. A short-lived process spends much
// of its time in page faults, one per 4 KiB of memory first touched (over 10 µs each on some
// virtual machines); populating the pages in bulk costs a fraction of that. Large blocks are
// kept on the heap too, so that they use the prepared pages. Best effort: a no-op where the
// kernel lacks MADV_POPULATE_WRITE (before Linux 5.14).
void prepare_heap(std::size_t bytes);

// Makes a block that is about to be filled ready in bulk: its pages populated in one system
// call, a quarter of the time their faults would take. (Huge pages would be faster still when
// free, but asking for them can stall the process while the kernel compacts memory.)
void prepare_block(void* block, std::size_t bytes);

}  // namespace core
