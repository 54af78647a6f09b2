#pragma once

#include <filesystem>

namespace bench {

// Fills a state store with `count` clusters of one or two nodes in a mix of statuses, as a
// long-lived user's store looks.
void seed_store(const std::filesystem::path& db, int count);

}  // namespace bench
