// A thin RAII layer over SQLite 3 shared by the embedded log and warehouse.
//
//   ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, {.read_only = false}));
//   RETURN_IF_ERROR(db->Exec("CREATE TABLE IF NOT EXISTS t(x)"));
//   SqliteStmt& s = db->Prepare("INSERT INTO t VALUES(?)");  // cached per SQL text
//   s.Bind(1, 42); RETURN_IF_ERROR(s.Run());
//
// A SqliteDb is one connection: use it from one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace supportpipe {

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStmt() { sqlite3_finalize(stmt_); }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  SqliteStmt& Bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  SqliteStmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStmt& BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStmt& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  SqliteStmt& Bind(int i, const std::optional<std::string>& v) {
    return v ? Bind(i, std::string_view(*v)) : BindNull(i);
  }
  SqliteStmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  SqliteStmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }

  // Advances one row. Returns true while a row is available; errors end in a Status.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows) and resets.
  Status Run();
  // A write whose result nobody reads now: here the same as Run(); PgStmt pipelines it.
  Status Send() { return Run(); }
  // Calls `row()` for each row (read the columns in it), then resets, also on an error.
  template <typename Fn>
  Status ForEachRow(Fn row) {
    for (;;) {
      Result<bool> more = Step();
      if (!more.ok() || !*more) {
        Reset();
        return more.status();
      }
      row();
    }
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string_view(p, sqlite3_column_bytes(stmt_, col)) : std::string_view();
  }
  std::optional<std::string> OptText(int col) const {
    if (IsNull(col)) return std::nullopt;
    return std::string(Text(col));
  }
  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  std::string ColumnName(int col) const { return sqlite3_column_name(stmt_, col); }
  int ColumnType(int col) const { return sqlite3_column_type(stmt_, col); }
  bool ReadOnly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

struct SqliteOptions {
  bool read_only = false;
  // synchronous=FULL: a committed transaction survives power loss (WAL fsync on commit).
  bool full_sync = true;
  int busy_timeout_ms = 10000;
  int cache_mib = 32;  // page cache per connection
};

class SqliteDb {
 public:
  using Stmt = SqliteStmt;
  static constexpr const char* kBeginWrite = "BEGIN IMMEDIATE";

  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                const SqliteOptions& options);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(std::string_view sql);
  // Returns a cached, reset statement for this SQL text. Valid until the db closes.
  Result<SqliteStmt*> Prepare(std::string_view sql);
  // A fresh, uncached statement (for one-off user SQL).
  Result<std::unique_ptr<SqliteStmt>> PrepareOnce(std::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStmt>> cache_;
};

// A SQL string literal: 'it''s' (for the rare statement built as text, e.g. through a
// Query API that takes no parameters).
inline std::string SqlLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// RAII write transaction: Begin() opens it (BEGIN IMMEDIATE on SQLite, which takes the
// write lock at once; Db::kBeginWrite), ROLLBACK unless Commit() succeeded. For any
// connection with SqliteDb's shape.
template <typename Db>
class WriteTxn {
 public:
  explicit WriteTxn(Db& db) : db_(db) {}
  ~WriteTxn() {
    if (open_) db_.Exec("ROLLBACK").IgnoreError();
  }
  Status Begin() {
    RETURN_IF_ERROR(db_.Exec(Db::kBeginWrite));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    RETURN_IF_ERROR(db_.Exec("COMMIT"));
    open_ = false;
    return Status::Ok();
  }

 private:
  Db& db_;
  bool open_ = false;
};
using SqliteTxn = WriteTxn<SqliteDb>;

}  // namespace supportpipe
