#include <fmt/format.h>

#include "common/ascii.h"

#include "common/pg_db.h"
#include "security/pii.h"
#include "security/store.h"

namespace supportpipe::security {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS tokens(
  id         text PRIMARY KEY,
  name       text NOT NULL,
  scopes     text NOT NULL,        -- space-separated
  hash       text NOT NULL,        -- hex SHA-256 of the token; the token itself is never stored
  created_us bigint NOT NULL,
  expires_us bigint,
  revoked_us bigint);
CREATE TABLE IF NOT EXISTS audit(
  seq       bigint PRIMARY KEY,
  at_us     bigint NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL,
  target    text NOT NULL,
  outcome   text NOT NULL,
  prev_hash text NOT NULL,
  hash      text NOT NULL);
)";

constexpr const char* kTokenSelect =
    "SELECT id, name, scopes, hash, created_us, expires_us, revoked_us FROM tokens";

std::optional<TimeMicros> OptInt(const PgRows& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return r.Int(row, col);
}

std::vector<Token> Tokens(const PgRows& r) {
  std::vector<Token> out;
  for (int i = 0; i < r.size(); ++i) {
    Token& t = out.emplace_back();
    t.id = r.Text(i, 0);
    t.name = r.Text(i, 1);
    t.scopes = SplitScopes(r.Text(i, 2));
    t.hash = r.Text(i, 3);
    t.created_at = r.Int(i, 4);
    t.expires_at = OptInt(r, i, 5);
    t.revoked_at = OptInt(r, i, 6);
  }
  return out;
}

// The store every process of a scale-out deployment shares ([storage] state).
class PgStore final : public Store {
 public:
  explicit PgStore(std::unique_ptr<PgPool> pool) : pg_(std::move(pool)) {}

  Status CreateToken(const Token& t) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "INSERT INTO tokens(id, name, scopes, hash, created_us, expires_us, revoked_us) "
          "VALUES($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (id) DO NOTHING",
          {Pg(t.id), Pg(t.name), Pg(JoinScopes(t.scopes)), Pg(t.hash), Pg(t.created_at),
           t.expires_at ? Pg(*t.expires_at) : PgParam()});
    }));
    if (r.Affected() != 1) return AlreadyExists("a token with id " + t.id + " exists");
    return Status::Ok();
  }

  Result<std::vector<Token>> ListTokens() override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(std::string(kTokenSelect) + " ORDER BY created_us, id");
    }));
    return Tokens(r);
  }

  Result<std::optional<Token>> GetToken(std::string_view id) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(std::string(kTokenSelect) + " WHERE id = $1", {Pg(id)});
    }));
    std::vector<Token> t = Tokens(r);
    if (t.empty()) return std::optional<Token>();
    return std::optional<Token>(std::move(t[0]));
  }

  Result<bool> RevokeToken(std::string_view id, TimeMicros at) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("UPDATE tokens SET revoked_us = $1 WHERE id = $2 AND revoked_us IS NULL",
                     {Pg(at), Pg(id)});
    }));
    return r.Affected() == 1;
  }

  Result<bool> AnyToken() override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("SELECT EXISTS(SELECT 1 FROM tokens)");
    }));
    return r.Text(0, 0) == "t";
  }

  Result<AuditEntry> AppendAudit(AuditEntry e) override {
    static const Redactor redactor(PiiKinds());
    e.target = redactor.Redact(e.target);
    // Processes append to one chain: each takes the chain's lock for its transaction, so
    // the last entry it reads is still the last when it inserts.
    RETURN_IF_ERROR(pg_->Run([&](PgDb& db) -> Status {
      return db.InTransaction([&]() -> Status {
        RETURN_IF_ERROR(
            db.Exec("SELECT pg_advisory_xact_lock(hashtext('supportpipe-audit'))").status());
        ASSIGN_OR_RETURN(PgRows last,
                         db.Exec("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
        e.seq = last.size() ? last.Int(0, 0) + 1 : 1;
        e.prev_hash = last.size() ? std::string(last.Text(0, 1)) : "";
        e.hash = AuditHash(e, e.prev_hash);
        return db
            .Exec(
                "INSERT INTO audit(seq, at_us, actor, action, target, outcome, prev_hash, hash) "
                "VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
                {Pg(e.seq), Pg(e.at), Pg(e.actor), Pg(e.action), Pg(e.target), Pg(e.outcome),
                 Pg(e.prev_hash), Pg(e.hash)})
            .status();
      });
    }));
    return e;
  }

  Result<std::vector<AuditEntry>> ListAudit(int64_t after, size_t max) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "SELECT seq, at_us, actor, action, target, outcome, prev_hash, hash FROM audit WHERE "
          "seq > $1 ORDER BY seq LIMIT $2",
          {Pg(after), Pg(static_cast<int64_t>(max))});
    }));
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.size(); ++i) {
      out.push_back({r.Int(i, 0), r.Int(i, 1), std::string(r.Text(i, 2)), std::string(r.Text(i, 3)),
                     std::string(r.Text(i, 4)), std::string(r.Text(i, 5)),
                     std::string(r.Text(i, 6)), std::string(r.Text(i, 7))});
    }
    return out;
  }

 private:
  std::unique_ptr<PgPool> pg_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPgStore(const std::string& url, const std::string& name) {
  const std::string schema = AsciiLower(name);  // as the JetStream log names its schema
  RETURN_IF_ERROR(PgCreateInSchema(url, schema, kSchema));
  return std::unique_ptr<Store>(
      new PgStore(std::make_unique<PgPool>(PgUrlWithSearchPath(url, schema), 2)));
}

}  // namespace supportpipe::security
