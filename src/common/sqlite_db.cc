#include "common/sqlite_db.h"

#include <mutex>
#include <string>

namespace supportpipe {
namespace {

Status FromSqlite(int rc, sqlite3* db, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(msg);
    case SQLITE_FULL:
      return ResourceExhausted(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(msg);
    case SQLITE_CONSTRAINT:
      return AlreadyExists(msg);
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_PERM:
      return PermissionDenied(msg);
    case SQLITE_ERROR:
      return InvalidArgument(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return Unavailable(msg);
    default:
      return Internal(msg);
  }
}

}  // namespace

Result<bool> SqliteStmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = FromSqlite(rc, db_, "sqlite step");
  sqlite3_reset(stmt_);
  return st;
}

Status SqliteStmt::Run() {
  for (;;) {
    Result<bool> r = Step();
    if (!r.ok()) {
      Reset();
      return r.status();
    }
    if (!*r) break;
  }
  Reset();
  return Status::Ok();
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                 const SqliteOptions& options) {
  // Memory statistics take a global mutex on every allocation; we never read them.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = FromSqlite(rc, db, "cannot open " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (!options.read_only) {
    RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(
        out->Exec(options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    // Every file holds personal data: what is deleted (retention, erasure, replaced rows) is
    // overwritten, not left in free pages.
    RETURN_IF_ERROR(out->Exec("PRAGMA secure_delete=ON"));
  } else {
    RETURN_IF_ERROR(out->Exec("PRAGMA query_only=1"));
  }
  RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys=ON"));
  RETURN_IF_ERROR(out->Exec("PRAGMA temp_store=MEMORY"));
  RETURN_IF_ERROR(out->Exec("PRAGMA cache_size=-" + std::to_string(options.cache_mib * 1024)));
  return out;
}

SqliteDb::~SqliteDb() {
  cache_.clear();
  sqlite3_close(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return FromSqlite(rc, db_, "sqlite exec");
  }
  return Status::Ok();
}

Result<SqliteStmt*> SqliteDb::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  ASSIGN_OR_RETURN(auto stmt, PrepareOnce(sql));
  SqliteStmt* raw = stmt.get();
  cache_.emplace(std::move(key), std::move(stmt));
  return raw;
}

Result<std::unique_ptr<SqliteStmt>> SqliteDb::PrepareOnce(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(rc, db_, "sqlite prepare");
  if (stmt == nullptr) return InvalidArgument("empty SQL statement");
  return std::make_unique<SqliteStmt>(db_, stmt);
}

}  // namespace supportpipe
