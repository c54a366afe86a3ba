#include <fmt/format.h>

#include <mutex>

#include "common/sqlite_db.h"
#include "security/pii.h"
#include "security/store.h"

namespace supportpipe::security {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,        -- space-separated
  hash TEXT NOT NULL,          -- hex SHA-256 of the token; the token itself is never stored
  created_us INTEGER NOT NULL,
  expires_us INTEGER,
  revoked_us INTEGER
);
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY,
  at_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
)";

std::optional<TimeMicros> OptInt(const SqliteStmt& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.Int(col);
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status CreateToken(const Token& t) override {
    std::lock_guard lock(mu_);
    const std::string scopes = JoinScopes(t.scopes);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     db_->Prepare("INSERT INTO tokens(id, name, scopes, hash, created_us, "
                                  "expires_us, revoked_us) VALUES(?,?,?,?,?,?,NULL) ON "
                                  "CONFLICT(id) DO NOTHING"));
    s->Bind(1, t.id).Bind(2, t.name).Bind(3, scopes).Bind(4, t.hash).Bind(5, t.created_at);
    if (t.expires_at) {
      s->Bind(6, *t.expires_at);
    } else {
      s->BindNull(6);
    }
    RETURN_IF_ERROR(s->Run());
    if (db_->Changes() != 1) return AlreadyExists("a token with id " + t.id + " exists");
    return Status::Ok();
  }

  Result<std::vector<Token>> ListTokens() override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     db_->Prepare(std::string(kTokenSelect) + " ORDER BY created_us, id"));
    return ReadTokens(*s);
  }

  Result<std::optional<Token>> GetToken(std::string_view id) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(SqliteStmt * s, db_->Prepare(std::string(kTokenSelect) + " WHERE id = ?"));
    s->Bind(1, id);
    ASSIGN_OR_RETURN(std::vector<Token> t, ReadTokens(*s));
    if (t.empty()) return std::optional<Token>();
    return std::optional<Token>(std::move(t[0]));
  }

  Result<bool> RevokeToken(std::string_view id, TimeMicros at) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(SqliteStmt * s, db_->Prepare("UPDATE tokens SET revoked_us = ? WHERE id = ? "
                                                  "AND revoked_us IS NULL"));
    s->Bind(1, at).Bind(2, id);
    RETURN_IF_ERROR(s->Run());
    return db_->Changes() == 1;
  }

  Result<bool> AnyToken() override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(SqliteStmt * s, db_->Prepare("SELECT EXISTS(SELECT 1 FROM tokens)"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    const bool any = row && s->Int(0) != 0;
    s->Reset();
    return any;
  }

  Result<AuditEntry> AppendAudit(AuditEntry e) override {
    // The log outlives erasures and cannot be edited without breaking its chain: personal
    // data typed into a target (an email in a query) is kept out of it.
    static const Redactor redactor(PiiKinds());
    e.target = redactor.Redact(e.target);
    std::lock_guard lock(mu_);
    SqliteTxn txn(*db_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(SqliteStmt * last,
                     db_->Prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
    ASSIGN_OR_RETURN(bool row, last->Step());
    e.seq = row ? last->Int(0) + 1 : 1;
    e.prev_hash = row ? std::string(last->Text(1)) : "";
    last->Reset();
    e.hash = AuditHash(e, e.prev_hash);
    ASSIGN_OR_RETURN(SqliteStmt * ins,
                     db_->Prepare("INSERT INTO audit(seq, at_us, actor, action, target, outcome, "
                                  "prev_hash, hash) VALUES(?,?,?,?,?,?,?,?)"));
    ins->Bind(1, e.seq).Bind(2, e.at).Bind(3, e.actor).Bind(4, e.action).Bind(5, e.target);
    ins->Bind(6, e.outcome).Bind(7, e.prev_hash).Bind(8, e.hash);
    RETURN_IF_ERROR(ins->Run());
    RETURN_IF_ERROR(txn.Commit());
    return e;
  }

  Result<std::vector<AuditEntry>> ListAudit(int64_t after, size_t max) override {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     db_->Prepare("SELECT seq, at_us, actor, action, target, outcome, prev_hash, "
                                  "hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"));
    s->Bind(1, after).Bind(2, static_cast<int64_t>(max));
    std::vector<AuditEntry> out;
    for (;;) {
      Result<bool> row = s->Step();
      if (!row.ok() || !*row) {
        s->Reset();
        RETURN_IF_ERROR(row.status());
        return out;
      }
      out.push_back({s->Int(0), s->Int(1), std::string(s->Text(2)), std::string(s->Text(3)),
                     std::string(s->Text(4)), std::string(s->Text(5)), std::string(s->Text(6)),
                     std::string(s->Text(7))});
    }
  }

 private:
  static constexpr const char* kTokenSelect =
      "SELECT id, name, scopes, hash, created_us, expires_us, revoked_us FROM tokens";

  static Result<std::vector<Token>> ReadTokens(SqliteStmt& s) {
    std::vector<Token> out;
    for (;;) {
      Result<bool> row = s.Step();
      if (!row.ok() || !*row) {
        s.Reset();
        RETURN_IF_ERROR(row.status());
        return out;
      }
      Token& t = out.emplace_back();
      t.id = s.Text(0);
      t.name = s.Text(1);
      t.scopes = SplitScopes(s.Text(2));
      t.hash = s.Text(3);
      t.created_at = s.Int(4);
      t.expires_at = OptInt(s, 5);
      t.revoked_at = OptInt(s, 6);
    }
  }

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  // Full sync: an audit entry or a revocation that was reported done survives a crash. The
  // file keeps no secrets (token hashes only).
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, {.full_sync = true, .cache_mib = 2}));
  RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<Store>(new SqliteStore(std::move(db)));
}

}  // namespace supportpipe::security
