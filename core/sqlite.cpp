#include "core/sqlite.hpp"

#include "core/store.hpp"

namespace core::sqlite {

void fail(sqlite3* db, const std::string& path_hint) {
    using Cause = StoreError::Cause;
    const int code = db ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
    const std::string said = db ? sqlite3_errmsg(db) : "cannot open";
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    const std::string path = file && *file ? std::string(file) : path_hint;
    switch (code) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            throw StoreError(Cause::Busy,
                             "the state store at " + path +
                                 " is busy: another grid process held it for too long",
                             "retry");
        case SQLITE_FULL:
            throw StoreError(Cause::Full,
                             "cannot write the state store at " + path + ": the disk is full",
                             "free space on the disk that holds it");
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            throw StoreError(Cause::Damaged,
                             "the state store at " + path + " is damaged (" + said + ")",
                             "move it away and run grid cluster list --refresh to recover "
                             "running clusters");
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_CANTOPEN:
        case SQLITE_AUTH:
            throw StoreError(Cause::ReadOnly,
                             "cannot open or write the state store at " + path + " (" + said + ")",
                             "check that you may write it and its directory, or point "
                             "GRID_STATE_DIR at another directory");
        case SQLITE_IOERR:
            throw StoreError(Cause::Io,
                             "cannot read or write the state store at " + path + " (" + said + ")",
                             "check the disk that holds it");
        default:
            throw StoreError(Cause::Other, "state store " + path + ": " + said, "");
    }
}

Stmt::Stmt(sqlite3* db, const char* sql) : m_db(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) fail(db);
}

bool Stmt::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(m_db);
}

void exec(sqlite3* db, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db);
}

}  // namespace core::sqlite
