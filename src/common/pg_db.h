// A thin RAII layer over libpq shared by the PostgreSQL-backed parts (the JetStream log's
// shared state, the PostgreSQL warehouse).
//
//   ASSIGN_OR_RETURN(auto db, PgDb::Open("postgresql://user@127.0.0.1:5432/support"));
//   RETURN_IF_ERROR(db->Script("CREATE TABLE IF NOT EXISTS t(x bigint)"));
//   ASSIGN_OR_RETURN(PgRows rows, db->Exec("SELECT x FROM t WHERE x > $1", {Pg(41)}));
//   for (int i = 0; i < rows.size(); ++i) use(rows.Int(i, 0));
//
// Parameters travel as text; statements are prepared once per connection and SQL text. A
// lost connection is re-established on the next call (the failed call returns
// Unavailable). A PgDb is one connection: use it from one thread at a time (PgPool below
// shares a few between threads).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace supportpipe {

// One statement parameter as PostgreSQL's text form; nullopt is NULL.
using PgParam = std::optional<std::string>;
inline PgParam Pg(std::string_view v) { return std::string(v); }
inline PgParam Pg(const char* v) { return std::string(v); }
inline PgParam Pg(const std::string& v) { return v; }
inline PgParam Pg(int64_t v) { return std::to_string(v); }
inline PgParam Pg(uint64_t v) { return std::to_string(v); }
inline PgParam Pg(int v) { return std::to_string(v); }
inline PgParam Pg(double v) { return std::to_string(v); }
inline PgParam Pg(bool v) { return std::string(v ? "t" : "f"); }

// A result set. Rows and columns count from 0.
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(pg_result* r);
  ~PgRows();
  PgRows(PgRows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgRows& operator=(PgRows&& o) noexcept;
  PgRows(const PgRows&) = delete;
  PgRows& operator=(const PgRows&) = delete;

  int size() const;
  int columns() const;
  std::string_view ColumnName(int col) const;
  // The column's type OID (pg_type), for callers that map values to kinds.
  uint32_t ColumnType(int col) const;
  bool IsNull(int row, int col) const;
  std::string_view Text(int row, int col) const;  // "" for NULL
  int64_t Int(int row, int col) const;            // 0 for NULL
  double Real(int row, int col) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t Affected() const;

 private:
  pg_result* r_ = nullptr;
};

class PgDb {
 public:
  // Connects to `url` (a libpq connection URI or key=value string). Unavailable when the
  // server cannot be reached, naming the server and what to check.
  static Result<std::unique_ptr<PgDb>> Open(const std::string& url);
  ~PgDb();
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  // Runs a statement with parameters ($1, $2, ...), prepared on first use.
  Result<PgRows> Exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Pipelining: sends a statement (prepared as Exec's) without waiting for its result, which
  // goes to `then` (may be empty) when it is read. Results are read by Flush(), which every
  // other call here makes first, so statements run in the order given. A queued statement's
  // error is returned by the call that reads it, and the statements queued after it do not
  // run (inside a transaction, the transaction has failed anyway).
  Status Queue(std::string_view sql, const std::vector<PgParam>& params,
               std::function<Status(PgRows&)> then = {});
  Status Flush();

  // COPY ... FROM STDIN, sending `data` (COPY's text format, see PgCopyRows).
  Status CopyIn(std::string_view sql, std::string_view data);

  // Runs one statement without parameters and without preparing it (SQL made once, such as
  // a user's query); more than one statement is an error.
  Result<PgRows> ExecOnce(std::string_view sql);
  // Runs one or more statements without parameters (schema scripts, BEGIN/COMMIT).
  Status Script(std::string_view sql);

  // Runs `body()` between BEGIN and COMMIT; rolls back when it fails.
  template <typename Fn>
  Status InTransaction(Fn body) {
    RETURN_IF_ERROR(Script("BEGIN"));
    Status s = body();
    if (s.ok()) s = Script("COMMIT");
    if (!s.ok()) (void)Script("ROLLBACK");
    return s;
  }

  // The server's "host:port", for messages.
  const std::string& where() const { return where_; }

 private:
  PgDb(pg_conn* conn, std::string url);
  Status Reconnect();
  Status ErrorOf(pg_result* r, std::string_view sql);
  // The statement's prepared name, preparing it on first use.
  Result<const std::string*> Prepared(std::string_view sql);

  struct Queued {
    std::string sql;
    std::function<Status(PgRows&)> then;
  };
  std::vector<Queued> queued_;  // sent in pipeline mode, results not read yet

  pg_conn* conn_;
  std::string url_;
  std::string where_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// `url` with search_path set to `schema` (letters, digits, '_'), so that statements on its
// connections name tables unqualified.
std::string PgUrlWithSearchPath(const std::string& url, const std::string& schema);

// Creates `schema` when missing and runs `ddl` (CREATE ... IF NOT EXISTS) in it, under an
// advisory lock so processes starting together do not race.
Status PgCreateInSchema(const std::string& url, const std::string& schema, std::string_view ddl);

// Up to `size` connections shared by threads: Run(fn) lends one to `fn(PgDb&)` (waiting when
// all are lent) and returns what fn returns, or the connection error.
class PgPool {
 public:
  PgPool(std::string url, size_t size) : url_(std::move(url)), size_(size) {}

  template <typename Fn>
  auto Run(Fn fn) -> decltype(fn(std::declval<PgDb&>())) {
    std::unique_ptr<PgDb> db;
    RETURN_IF_ERROR(Acquire(&db));
    auto out = fn(*db);
    Release(std::move(db));
    return out;
  }

 private:
  Status Acquire(std::unique_ptr<PgDb>* db);
  void Release(std::unique_ptr<PgDb> db);

  const std::string url_;
  const size_t size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgDb>> free_;
  size_t open_ = 0;
};

}  // namespace supportpipe
