#include "common/pg_stmt.h"

#include <fmt/format.h>

namespace supportpipe {

std::string PgPlaceholders(std::string_view sql, int* params) {
  std::string out;
  out.reserve(sql.size() + 16);
  int max = 0;
  char quote = 0;  // inside '...' or "..."
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote reopens at once: same result
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    // SQLite's rule: ?N is parameter N; a bare ? is one more than the largest so far.
    int n = 0;
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = max + 1;
    max = std::max(max, n);
    out += fmt::format("${}", n);
    i = j - 1;
  }
  *params = max;
  return out;
}

PgStmt& PgStmt::Bind(int i, double v) { return Set(i, fmt::format("{}", v)); }

PgCopyRows& PgCopyRows::Bind(int, double v) { return Field(fmt::format("{}", v)); }

PgCopyRows& PgCopyRows::Bind(int, std::string_view v) {
  if (in_row_) data_ += '\t';
  in_row_ = true;
  for (char c : v) {
    switch (c) {
      case '\\':
        data_ += "\\\\";
        break;
      case '\t':
        data_ += "\\t";
        break;
      case '\n':
        data_ += "\\n";
        break;
      case '\r':
        data_ += "\\r";
        break;
      default:
        data_ += c;
    }
  }
  return *this;
}

Result<bool> PgStmt::Step() {
  if (!ran_) {
    ASSIGN_OR_RETURN(rows_, db_.Exec(sql_, params_));
    ran_ = true;
    row_ = -1;
    *changes_ = rows_.Affected();
  }
  return ++row_ < rows_.size();
}

Status PgStmt::Send(std::function<void(const PgRows&)> then) {
  Status s = db_.Queue(sql_, params_, [then = std::move(then)](PgRows& rows) {
    if (then) then(rows);
    return Status::Ok();
  });
  Reset();
  return s;
}

void PgStmt::Reset() {
  ran_ = false;
  row_ = -1;
  rows_ = PgRows();
  for (PgParam& p : params_) p.reset();
}

int64_t PgStmt::Int(int col) const {
  const std::string_view v = rows_.Text(row_, col);
  if (v == "t") return 1;
  if (v == "f") return 0;
  return rows_.Int(row_, col);
}

Result<PgStmt*> PgConn::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    int params = 0;
    std::string pg = PgPlaceholders(sql, &params);
    auto stmt = std::make_unique<PgStmt>(*db_, std::move(pg), params, &changes_);
    it = cache_.emplace(std::move(key), std::move(stmt)).first;
  }
  return it->second.get();
}

}  // namespace supportpipe
