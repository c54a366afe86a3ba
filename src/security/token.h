// Bearer tokens with scopes (docs/security.md).
//
//   NewToken t = MakeToken("grafana", {"read"}, std::nullopt, clock.Now());
//   print(t.text);                     // shown once: "spt_<12 hex>_<64 hex>"
//   RETURN_IF_ERROR(store.CreateToken(t.token));   // only its SHA-256 is kept
//   if (Allows(principal.scopes, "replay")) ...
//
// Scopes: admin (everything), read, replay, erase, ingest:<source> (ingest:* = any source).
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace supportpipe::security {

struct Token {
  std::string id;  // 12 hex digits; public, names the token in lists and the audit log
  std::string name;
  std::vector<std::string> scopes;
  std::string hash;  // hex SHA-256 of the whole token text
  TimeMicros created_at = 0;
  std::optional<TimeMicros> expires_at, revoked_at;

  bool ActiveAt(TimeMicros now) const { return !revoked_at && (!expires_at || now < *expires_at); }
};

struct NewToken {
  std::string text;  // the bearer token, shown once
  Token token;
};

NewToken MakeToken(std::string name, std::vector<std::string> scopes,
                   std::optional<TimeMicros> expires_at, TimeMicros now);

// The id inside a token text, or nullopt when it is not one of ours.
std::optional<std::string> TokenId(std::string_view text);
// Hex SHA-256 of a token text.
std::string TokenHash(std::string_view text);

// InvalidArgument naming the scope when it is not one of the list above.
Status ValidateScope(std::string_view scope);
// Whether `scopes` grant `needed` ("admin" grants everything; "ingest:*" any ingest:<source>).
bool Allows(const std::vector<std::string>& scopes, std::string_view needed);

// How stores keep scopes: space-separated.
std::string JoinScopes(const std::vector<std::string>& scopes);
std::vector<std::string> SplitScopes(std::string_view stored);

}  // namespace supportpipe::security
