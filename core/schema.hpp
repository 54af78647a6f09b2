#pragma once

// The store's schema: every version's migration, in order. Private to core/.

#include <sqlite3.h>

#include <filesystem>

namespace core {

inline constexpr int k_latest_schema_version = 3;

int schema_version(sqlite3* db);
// Brings the database up to k_latest_schema_version in one transaction. Throws core::Error
// when the database is newer than this grid.
void migrate(sqlite3* db, const std::filesystem::path& path);

}  // namespace core
