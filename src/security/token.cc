#include "security/token.h"

#include <algorithm>

#include "common/config.h"
#include "common/crypto.h"

namespace supportpipe::security {
namespace {

constexpr std::string_view kPrefix = "spt_";
constexpr size_t kIdHex = 12, kSecretHex = 64;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

NewToken MakeToken(std::string name, std::vector<std::string> scopes,
                   std::optional<TimeMicros> expires_at, TimeMicros now) {
  NewToken t;
  t.token.id = HexEncode(RandomBytes(kIdHex / 2));
  t.text = std::string(kPrefix) + t.token.id + "_" + HexEncode(RandomBytes(kSecretHex / 2));
  t.token.name = std::move(name);
  t.token.scopes = std::move(scopes);
  t.token.hash = TokenHash(t.text);
  t.token.created_at = now;
  t.token.expires_at = expires_at;
  return t;
}

std::optional<std::string> TokenId(std::string_view text) {
  if (text.size() != kPrefix.size() + kIdHex + 1 + kSecretHex || text.substr(0, 4) != kPrefix ||
      text[kPrefix.size() + kIdHex] != '_') {
    return std::nullopt;
  }
  const std::string_view id = text.substr(kPrefix.size(), kIdHex);
  if (!IsHex(id) || !IsHex(text.substr(kPrefix.size() + kIdHex + 1))) return std::nullopt;
  return std::string(id);
}

std::string TokenHash(std::string_view text) { return HexEncode(Sha256(text)); }

Status ValidateScope(std::string_view s) {
  if (s == "admin" || s == "read" || s == "replay" || s == "erase" || s == "ingest:*") {
    return Status::Ok();
  }
  if (s.rfind("ingest:", 0) == 0 && IsValidSourceName(s.substr(7))) return Status::Ok();
  return InvalidArgument("not a scope: use admin, read, replay, erase, ingest:<source> or ingest:*",
                         std::string(s));
}

bool Allows(const std::vector<std::string>& scopes, std::string_view needed) {
  for (const std::string& s : scopes) {
    if (s == "admin" || s == needed) return true;
    if (s == "ingest:*" && needed.rfind("ingest:", 0) == 0) return true;
  }
  return false;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::vector<std::string> SplitScopes(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t sp = s.find(' ');
    if (sp) out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace supportpipe::security
