#pragma once

// The few SQLite helpers the store is written with. Private to core/: nothing outside the
// store includes sqlite3.h.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

namespace core::sqlite {

// Throws core::StoreError for the database's last error, naming the file and what to do
// about it. `path`: the database's file, where the connection cannot tell (a failed open).
[[noreturn]] void fail(sqlite3* db, const std::string& path = {});

// A prepared statement, finalized on destruction.
class Stmt {
  public:
    Stmt(sqlite3* db, const char* sql);
    ~Stmt() { sqlite3_finalize(m_stmt); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, const std::string& v) {
        sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(m_stmt, i, v);
        return *this;
    }
    Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    Stmt& bind(int i, double v) {
        sqlite3_bind_double(m_stmt, i, v);
        return *this;
    }
    Stmt& bind(int i, std::optional<std::int64_t> v) {
        if (v) return bind(i, *v);
        sqlite3_bind_null(m_stmt, i);
        return *this;
    }

    // true while there is a row
    bool step();
    void run() {
        while (step()) {
        }
    }
    // Rows changed by the last run() of an INSERT, UPDATE or DELETE.
    int changes() const { return sqlite3_changes(m_db); }

    std::string text(int col) const {
        const auto* p = sqlite3_column_text(m_stmt, col);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)))
                 : std::string();
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(m_stmt, col); }
    double real(int col) const { return sqlite3_column_double(m_stmt, col); }
    std::optional<std::int64_t> opt_integer(int col) const {
        if (sqlite3_column_type(m_stmt, col) == SQLITE_NULL) return std::nullopt;
        return integer(col);
    }

  private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

void exec(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
// writes can hit SQLITE_BUSY without the busy handler ever being called.
class WriteTx {
  public:
    explicit WriteTx(sqlite3* db) : m_db(db) { exec(db, "BEGIN IMMEDIATE"); }
    ~WriteTx() {
        if (!m_done) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    WriteTx(const WriteTx&) = delete;
    WriteTx& operator=(const WriteTx&) = delete;
    void commit() {
        exec(m_db, "COMMIT");
        m_done = true;
    }

  private:
    sqlite3* m_db;
    bool m_done = false;
};

}  // namespace core::sqlite
