// Who is calling: a bearer token checked against the configured admin token and the stored
// tokens (docs/security.md).
//
//   Authenticator auth(store, config.server.admin_token, clock);
//   Authenticator::Verdict v = auth.Check(request.Header("authorization"));
//   if (v.outcome == Authenticator::Outcome::kOk && Allows(v.principal.scopes, "read")) ...
//
// Thread-safe.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "security/store.h"

namespace supportpipe::security {

struct Principal {
  std::string actor;  // for the audit log: "token:<id> (<name>)", "admin-token", "loopback"
  std::vector<std::string> scopes;
};

class Authenticator {
 public:
  Authenticator(Store& store, std::optional<std::string> admin_token, const Clock& clock)
      : store_(store), admin_token_(std::move(admin_token)), clock_(clock) {}

  enum class Outcome { kOk, kMissing, kRefused };
  struct Verdict {
    Outcome outcome = Outcome::kMissing;
    Principal principal;      // when kOk
    std::string_view reason;  // when kRefused: token_mismatch, token_revoked, token_expired
  };

  // Reads an "Authorization: Bearer <token>" header ("" = none).
  Verdict Check(std::string_view authorization);

  // Whether requests must carry a token: once an admin token is configured or any token was
  // created. Before that, the admin API serves loopback clients without one.
  bool TokensRequired();

 private:
  Store& store_;
  const std::optional<std::string> admin_token_;
  const Clock& clock_;
  std::atomic<bool> tokens_exist_{false};  // tokens are never deleted: once true, stays
};

}  // namespace supportpipe::security
