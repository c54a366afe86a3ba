#include "security/authenticator.h"

#include <strings.h>

#include "common/crypto.h"

namespace supportpipe::security {

Authenticator::Verdict Authenticator::Check(std::string_view authorization) {
  Verdict v;
  if (authorization.empty()) return v;
  v.outcome = Outcome::kRefused;
  v.reason = "token_mismatch";
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      strncasecmp(authorization.data(), kBearer.data(), kBearer.size()) != 0) {
    return v;
  }
  const std::string_view token = authorization.substr(kBearer.size());
  if (admin_token_ && ConstantTimeEquals(token, *admin_token_)) {
    v.outcome = Outcome::kOk;
    v.principal = {"admin-token", {"admin"}};
    return v;
  }
  const std::optional<std::string> id = TokenId(token);
  if (!id) return v;
  Result<std::optional<Token>> t = store_.GetToken(*id);
  if (!t.ok() || !*t || !ConstantTimeEquals((*t)->hash, TokenHash(token))) return v;
  if ((*t)->revoked_at) {
    v.reason = "token_revoked";
    return v;
  }
  if (!(*t)->ActiveAt(clock_.Now())) {
    v.reason = "token_expired";
    return v;
  }
  v.outcome = Outcome::kOk;
  v.principal = {"token:" + (*t)->id + " (" + (*t)->name + ")", (*t)->scopes};
  return v;
}

bool Authenticator::TokensRequired() {
  if (admin_token_ || tokens_exist_) return true;
  Result<bool> any = store_.AnyToken();
  if (!any.ok()) return true;  // cannot tell: be strict
  if (*any) tokens_exist_ = true;
  return *any;
}

}  // namespace supportpipe::security
