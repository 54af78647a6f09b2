#include "core/sqlite.hpp"

#include "core/errors.hpp"

namespace core::sqlite {

void fail(sqlite3* db, const std::string& what) {
    const int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
    std::string message = "state store: " + what + ": " + (db ? sqlite3_errmsg(db) : "unknown");
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        throw Error(ErrorKind::Other, message,
                    "another grid process held the database for too long; retry");
    throw Error(ErrorKind::Other, message);
}

Stmt::Stmt(sqlite3* db, const char* sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) fail(db, "prepare");
}

bool Stmt::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(m_db, "step");
}

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string message = err ? err : "exec";
        sqlite3_free(err);
        fail(db, message);
    }
}

}  // namespace core::sqlite
