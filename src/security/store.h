// The security store: tokens (hashes only) and the audit log (docs/security.md).
//
// The audit log is hash-chained: each entry's hash covers its fields and the previous
// entry's hash, and sequence numbers have no gaps, so an edited, inserted or deleted entry
// is found by VerifyAudit.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore(data_dir + "/security.db"));
//   RETURN_IF_ERROR(store->AppendAudit({.at = now, .actor = "cli:ana", .action = "query",
//                                       .target = "SELECT ...", .outcome = "ok"}));
//   ASSIGN_OR_RETURN(AuditCheck c, VerifyAudit(*store));
//
// Backends: SQLite (one process's data_dir) and PostgreSQL (shared). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "security/token.h"

namespace supportpipe::security {

struct AuditEntry {
  int64_t seq = 0;  // set by the store: 1, 2, 3, ...
  TimeMicros at = 0;
  std::string actor;      // "token:<id> (<name>)", "admin-token", "loopback", "cli:<user>"
  std::string action;     // "deliveries.retry", "query", "token.create", ...
  std::string target;     // what it acted on: a delivery id, a token id, a time range, SQL
  std::string outcome;    // "ok", "denied", "error: ..."
  std::string prev_hash;  // set by the store
  std::string hash;       // set by the store
};

// Hex SHA-256 over the entry's fields (length-prefixed) and the previous hash.
std::string AuditHash(const AuditEntry& e, std::string_view prev_hash);

class Store {
 public:
  virtual ~Store() = default;

  // AlreadyExists when the id is taken.
  virtual Status CreateToken(const Token& token) = 0;
  virtual Result<std::vector<Token>> ListTokens() = 0;
  virtual Result<std::optional<Token>> GetToken(std::string_view id) = 0;
  // False when no active token has that id.
  virtual Result<bool> RevokeToken(std::string_view id, TimeMicros at) = 0;
  // Whether any token was ever created (revoked ones count: tokens stay required).
  virtual Result<bool> AnyToken() = 0;

  // Appends durably, chaining it to the last entry; returns the entry as stored.
  virtual Result<AuditEntry> AppendAudit(AuditEntry entry) = 0;
  // Entries with seq > after, in order.
  virtual Result<std::vector<AuditEntry>> ListAudit(int64_t after, size_t max) = 0;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// The store shared by every process of a scale-out deployment: PostgreSQL at `url`, tables
// in `schema` (created when missing).
Result<std::unique_ptr<Store>> OpenPgStore(const std::string& url, const std::string& schema);

struct AuditCheck {
  int64_t entries = 0;
  std::optional<int64_t> first_bad;  // the first entry that does not verify
  std::string reason;
  std::string head;  // the last good hash: record it elsewhere to detect a cut tail
};

// Walks the whole chain.
Result<AuditCheck> VerifyAudit(Store& store);

}  // namespace supportpipe::security
