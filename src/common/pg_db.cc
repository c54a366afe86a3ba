#include "common/pg_db.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>

namespace supportpipe {

PgRows::PgRows(pg_result* r) : r_(r) {}
PgRows::~PgRows() { PQclear(r_); }
PgRows& PgRows::operator=(PgRows&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
int PgRows::size() const { return r_ ? PQntuples(r_) : 0; }
int PgRows::columns() const { return r_ ? PQnfields(r_) : 0; }
std::string_view PgRows::ColumnName(int col) const { return PQfname(r_, col); }
uint32_t PgRows::ColumnType(int col) const { return PQftype(r_, col); }
bool PgRows::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::string_view PgRows::Text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
}
int64_t PgRows::Int(int row, int col) const {
  return IsNull(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
double PgRows::Real(int row, int col) const {
  return IsNull(row, col) ? 0 : std::strtod(PQgetvalue(r_, row, col), nullptr);
}
int64_t PgRows::Affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

namespace {

// "host:port" of a connection, for messages (never the password).
std::string WhereOf(pg_conn* c) {
  const char* host = PQhost(c);
  const char* port = PQport(c);
  return fmt::format("{}:{}", host ? host : "?", port ? port : "?");
}

Status ConnectError(pg_conn* c) {
  return Unavailable(fmt::format(
      "cannot connect to PostgreSQL at {}: {}: check that the server runs and the URL in "
      "the config ([storage]) is right",
      WhereOf(c), PQerrorMessage(c)));
}

}  // namespace

PgDb::PgDb(pg_conn* conn, std::string url)
    : conn_(conn), url_(std::move(url)), where_(WhereOf(conn)) {}

PgDb::~PgDb() { PQfinish(conn_); }

Result<std::unique_ptr<PgDb>> PgDb::Open(const std::string& url) {
  pg_conn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    Status s = ConnectError(c);
    PQfinish(c);
    return s;
  }
  std::unique_ptr<PgDb> db(new PgDb(c, url));
  // Quiet NOTICEs ("relation already exists, skipping") and UTC timestamps everywhere.
  RETURN_IF_ERROR(db->Script("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return db;
}

Status PgDb::Reconnect() {
  queued_.clear();
  PQreset(conn_);
  prepared_.clear();
  if (PQstatus(conn_) != CONNECTION_OK) return ConnectError(conn_);
  return Script("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}

Status PgDb::ErrorOf(pg_result* r, std::string_view sql) {
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = code ? code : "";  // copied: PQclear frees it
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  PQclear(r);
  if (lost) {
    prepared_.clear();
    return Unavailable(fmt::format("PostgreSQL at {}: connection lost: {}", where_, msg));
  }
  std::string_view head = sql.substr(0, 80);
  std::string text =
      fmt::format("PostgreSQL: {} (in: {}{})", msg, head, sql.size() > 80 ? "…" : "");
  // Class 40 (serialization failure, deadlock) and 53/57/08 (resources, shutdown,
  // connection) are worth retrying; 42 (syntax, undefined) is the caller's error.
  const std::string_view cls = std::string_view(state).substr(0, 2);
  if (cls == "40" || cls == "53" || cls == "57" || cls == "08") return Unavailable(std::move(text));
  if (cls == "42") return InvalidArgument(std::move(text));
  return Internal(std::move(text));
}

Result<const std::string*> PgDb::Prepared(std::string_view sql) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    RETURN_IF_ERROR(Flush());
    if (PQstatus(conn_) != CONNECTION_OK) RETURN_IF_ERROR(Reconnect());
    std::string name = fmt::format("s{}", prepared_.size());
    pg_result* r = PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return ErrorOf(r, sql);
    PQclear(r);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return &it->second;
}

Status PgDb::Queue(std::string_view sql, const std::vector<PgParam>& params,
                   std::function<Status(PgRows&)> then) {
  ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
  if (queued_.empty() && PQenterPipelineMode(conn_) != 1) return ErrorOf(nullptr, sql);
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  if (PQsendQueryPrepared(conn_, name->c_str(), static_cast<int>(params.size()), values.data(),
                          nullptr, nullptr, 0) != 1) {
    Status s = Flush();
    return s.ok() ? ErrorOf(nullptr, sql) : s;
  }
  queued_.push_back({std::string(sql), std::move(then)});
  // Bounded, so that neither side's buffers fill while nobody reads them.
  return queued_.size() >= 512 ? Flush() : Status::Ok();
}

Status PgDb::Flush() {
  if (queued_.empty()) return Status::Ok();
  Status first;
  if (PQpipelineSync(conn_) != 1) first = ErrorOf(nullptr, queued_.front().sql);
  // Each statement's result is followed by a NULL; the sync's result ends the pipeline.
  for (size_t k = 0; first.ok() || PQstatus(conn_) == CONNECTION_OK;) {
    pg_result* r = PQgetResult(conn_);
    if (!r) {
      if (++k > queued_.size() + 1) break;  // the connection is gone: no sync will come
      continue;
    }
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    const Queued* q = k < queued_.size() ? &queued_[k] : nullptr;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      PgRows rows(r);
      if (first.ok() && q && q->then) first = q->then(rows);
    } else if (st == PGRES_PIPELINE_ABORTED || !first.ok()) {
      PQclear(r);
    } else {
      first = ErrorOf(r, q ? std::string_view(q->sql) : std::string_view());
    }
  }
  queued_.clear();
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF && PQexitPipelineMode(conn_) != 1) {
    PQreset(conn_);  // a pipeline left half read: start over on a fresh session
    prepared_.clear();
    if (first.ok()) first = Unavailable(fmt::format("PostgreSQL at {}: pipeline lost", where_));
  }
  return first;
}

Result<PgRows> PgDb::Exec(std::string_view sql, const std::vector<PgParam>& params) {
  RETURN_IF_ERROR(Flush());
  if (PQstatus(conn_) != CONNECTION_OK) RETURN_IF_ERROR(Reconnect());
  ASSIGN_OR_RETURN(const std::string* name, Prepared(sql));
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  pg_result* r = PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                                values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(r, sql);
  return PgRows(r);
}

Status PgDb::CopyIn(std::string_view sql, std::string_view data) {
  RETURN_IF_ERROR(Flush());
  if (PQstatus(conn_) != CONNECTION_OK) RETURN_IF_ERROR(Reconnect());
  pg_result* r = PQexec(conn_, std::string(sql).c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) return ErrorOf(r, sql);
  PQclear(r);
  // Sent in pieces of 1 MiB at most: libpq buffers what it is given.
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>(data.size() - at, 1 << 20);
    if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) {
      return ErrorOf(nullptr, sql);
    }
    at += n;
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) return ErrorOf(nullptr, sql);
  Status st;
  while ((r = PQgetResult(conn_)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      Status e = ErrorOf(r, sql);
      if (st.ok()) st = e;
    } else {
      PQclear(r);
    }
  }
  return st;
}

Result<PgRows> PgDb::ExecOnce(std::string_view sql) {
  RETURN_IF_ERROR(Flush());
  if (PQstatus(conn_) != CONNECTION_OK) RETURN_IF_ERROR(Reconnect());
  pg_result* r =
      PQexecParams(conn_, std::string(sql).c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(r, sql);
  return PgRows(r);
}

Status PgDb::Script(std::string_view sql) {
  Status queued = Flush();
  if (!queued.ok() && sql != "ROLLBACK") return queued;
  if (PQstatus(conn_) != CONNECTION_OK && sql != "ROLLBACK") RETURN_IF_ERROR(Reconnect());
  pg_result* r = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(r, sql);
  PQclear(r);
  return Status::Ok();
}

std::string PgUrlWithSearchPath(const std::string& url, const std::string& schema) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  }
  return url + " options='-csearch_path=" + schema + "'";
}

Status PgCreateInSchema(const std::string& url, const std::string& schema, std::string_view ddl) {
  ASSIGN_OR_RETURN(auto db, PgDb::Open(url));
  return db->InTransaction([&]() -> Status {
    RETURN_IF_ERROR(
        db->Exec("SELECT pg_advisory_xact_lock(hashtext($1))", {Pg("supportpipe-ddl:" + schema)})
            .status());
    RETURN_IF_ERROR(db->Script("CREATE SCHEMA IF NOT EXISTS " + schema));
    RETURN_IF_ERROR(db->Script("SET LOCAL search_path = " + schema));
    return db->Script(ddl);
  });
}

Status PgPool::Acquire(std::unique_ptr<PgDb>* db) {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty() || open_ < size_; });
    if (!free_.empty()) {
      *db = std::move(free_.back());
      free_.pop_back();
      return Status::Ok();
    }
    ++open_;
  }
  Result<std::unique_ptr<PgDb>> opened = PgDb::Open(url_);
  if (!opened.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
    return opened.status();
  }
  *db = std::move(opened).value();
  return Status::Ok();
}

void PgPool::Release(std::unique_ptr<PgDb> db) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(db));
  cv_.notify_one();
}

}  // namespace supportpipe
