// PgStmt and PgConn: SqliteStmt's and SqliteDb's shape over a PgDb, so that code written
// once against that shape (the warehouse) runs on both. SQL keeps SQLite's placeholders
// (`?`, `?N`); they become PostgreSQL's `$N` once, when a statement is first prepared.
//
//   PgConn db(std::move(pg));
//   ASSIGN_OR_RETURN(PgStmt * s, db.Prepare("SELECT x FROM t WHERE k = ?"));
//   s->Bind(1, "a");
//   RETURN_IF_ERROR(s->ForEachRow([&] { use(s->Int(0)); }));
//
// A statement runs at its first Step() (or Run()), and its rows are read from the whole
// result then. A write sent with Send() is pipelined (PgDb::Queue): it goes out at once but
// its result is read only when something needs one (a Step, Run, Exec, COMMIT), so a run of
// writes costs one round trip, not one each. Its error, if any, comes from that later call.
// Like the PgDb under it, a PgConn is one connection: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/pg_db.h"
#include "common/status.h"

namespace supportpipe {

// `sql` with SQLite's `?` and `?N` placeholders written as `$N` (outside quoted text); sets
// `*params` to the number of parameters.
std::string PgPlaceholders(std::string_view sql, int* params);

class PgStmt {
 public:
  PgStmt(PgDb& db, std::string sql, int params, int64_t* changes)
      : db_(db), sql_(std::move(sql)), params_(params), changes_(changes) {}
  PgStmt(const PgStmt&) = delete;
  PgStmt& operator=(const PgStmt&) = delete;

  PgStmt& Bind(int i, int64_t v) { return Set(i, std::to_string(v)); }
  PgStmt& Bind(int i, double v);
  PgStmt& Bind(int i, std::string_view v) { return Set(i, std::string(v)); }
  PgStmt& BindNull(int i) { return Set(i, std::nullopt); }
  PgStmt& Bind(int i, const std::optional<std::string>& v) { return Set(i, v); }
  PgStmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  PgStmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }

  // Runs the statement on the first call; then advances one row.
  Result<bool> Step();
  Status Run() {
    Result<bool> r = Step();
    Reset();
    return r.status();
  }
  // Pipelines the statement (see above); `then`, if given, gets its result when it is read.
  Status Send(std::function<void(const PgRows&)> then = {});
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
  void Reset();

  // Integers; booleans read as 1 and 0.
  int64_t Int(int col) const;
  double Double(int col) const { return rows_.Real(row_, col); }
  bool IsNull(int col) const { return rows_.IsNull(row_, col); }
  std::string_view Text(int col) const { return rows_.Text(row_, col); }
  std::optional<std::string> OptText(int col) const {
    if (IsNull(col)) return std::nullopt;
    return std::string(Text(col));
  }

 private:
  PgStmt& Set(int i, PgParam v) {
    if (i >= 1 && i <= static_cast<int>(params_.size())) params_[i - 1] = std::move(v);
    return *this;
  }

  PgDb& db_;
  const std::string sql_;
  std::vector<PgParam> params_;
  int64_t* changes_;
  PgRows rows_;
  bool ran_ = false;
  int row_ = -1;
};

// Rows in COPY's text format, filled like a statement's parameters, in order:
//   rows.Bind(1, "a").BindNull(2).Bind(3, int64_t{7});  rows.EndRow();
//   db.CopyIn("COPY t(a, b, c) FROM STDIN", rows.data());
class PgCopyRows {
 public:
  PgCopyRows& Bind(int, int64_t v) { return Field(std::to_string(v)); }
  PgCopyRows& Bind(int, double v);
  PgCopyRows& Bind(int, std::string_view v);
  PgCopyRows& BindNull(int) { return Field("\\N"); }
  PgCopyRows& Bind(int i, const std::optional<std::string>& v) {
    return v ? Bind(i, std::string_view(*v)) : BindNull(i);
  }
  PgCopyRows& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  PgCopyRows& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  void EndRow() {
    data_ += '\n';
    in_row_ = false;
    ++rows_;
  }

  const std::string& data() const { return data_; }
  size_t rows() const { return rows_; }
  void Clear() {
    data_.clear();
    rows_ = 0;
    in_row_ = false;
  }

 private:
  PgCopyRows& Field(std::string_view text) {
    if (in_row_) data_ += '\t';
    in_row_ = true;
    data_ += text;
    return *this;
  }

  std::string data_;
  size_t rows_ = 0;
  bool in_row_ = false;
};

class PgConn {
 public:
  using Stmt = PgStmt;
  static constexpr const char* kBeginWrite = "BEGIN";

  explicit PgConn(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}

  // Statements without parameters (scripts, BEGIN, COMMIT).
  Status Exec(std::string_view sql) { return db_->Script(sql); }
  // A cached statement for this SQL text, valid as long as the PgConn.
  Result<PgStmt*> Prepare(std::string_view sql);
  // Rows changed by the last statement run with Step() or Run().
  int64_t Changes() const { return changes_; }
  PgDb& db() { return *db_; }

 private:
  std::unique_ptr<PgDb> db_;
  std::unordered_map<std::string, std::unique_ptr<PgStmt>> cache_;
  int64_t changes_ = 0;
};

}  // namespace supportpipe
