#include "sources/auth.h"

#include <simdjson.h>

#include <charconv>

#include "common/crypto.h"

namespace supportpipe::sources {

bool AnyMatches(const std::vector<std::string>& secrets,
                const std::function<std::string(const std::string&)>& expected,
                std::string_view given) {
  bool match = false;
  for (const std::string& s : secrets) match |= ConstantTimeEquals(given, expected(s));
  return match;
}

std::string BodyHash(std::string_view body) { return "sha256:" + HexEncode(Sha256(body)); }

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Status CheckWindow(int64_t value, int64_t micros_per_unit, TimeMicros now, int64_t tolerance_s) {
  // Beyond year 9999 in any unit: not a timestamp (and would overflow below).
  constexpr int64_t kMaxMicros = 253402300800LL * 1000000;
  if (value < 0 || value > kMaxMicros / micros_per_unit) return PermissionDenied("bad_timestamp");
  const TimeMicros at = value * micros_per_unit;
  const int64_t tolerance_us = tolerance_s * 1000000;
  if (at < now - tolerance_us) return PermissionDenied("timestamp_too_old");
  if (at > now + tolerance_us) return PermissionDenied("timestamp_in_future");
  return Status::Ok();
}

Peeked PeekMembers(std::string_view body, std::initializer_list<std::string_view> keys) {
  Peeked out;
  out.values.resize(keys.size());
  if (body.empty()) return out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) return out;
  out.json = true;
  if (!root.is_object()) return out;
  size_t i = 0;
  for (std::string_view key : keys) {
    simdjson::dom::element v;
    if (!root[key].get(v)) {
      if (v.is_string()) out.values[i] = std::string(v.get_string().value());
      if (v.is_int64()) out.values[i] = std::to_string(v.get_int64().value());
      if (v.is_uint64()) out.values[i] = std::to_string(v.get_uint64().value());
    }
    ++i;
  }
  return out;
}

std::optional<std::string> PeekMember(std::string_view body, std::string_view key) {
  return PeekMembers(body, {key}).values[0];
}

Verified BodyMemberOrHash(std::string_view body, std::string_view key) {
  Peeked p = PeekMembers(body, {key});
  return Verified{p.values[0] ? std::move(*p.values[0]) : BodyHash(body), std::nullopt, p.json};
}

namespace {

// The credential after an Authorization scheme ("Bearer ", "Basic "), matched
// case-insensitively; nullopt for another scheme or an empty credential.
std::optional<std::string_view> AfterScheme(std::string_view auth, std::string_view scheme) {
  if (auth.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), auth.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return std::nullopt;
  }
  return auth.substr(scheme.size());
}

// Hashes both sides so the comparison time depends on neither length nor content.
bool OneOf(std::string_view given, const std::vector<std::string>& accepted) {
  const std::string given_hash = Sha256(given);
  return AnyMatches(
      accepted, [](const std::string& a) { return Sha256(a); }, given_hash);
}

bool BasicAuthMatches(std::string_view auth, const std::vector<std::string>& credentials) {
  std::optional<std::string_view> encoded = AfterScheme(auth, "Basic ");
  if (!encoded) return false;
  std::optional<std::string> decoded = Base64Decode(*encoded);
  return decoded && OneOf(*decoded, credentials);
}

}  // namespace

bool BearerTokenMatches(std::string_view auth, const std::vector<std::string>& tokens) {
  std::optional<std::string_view> token = AfterScheme(auth, "Bearer ");
  return token && OneOf(*token, tokens);
}

namespace {

class CredentialVerifier final : public Verifier {
 public:
  explicit CredentialVerifier(const SourceConfig& s)
      : tokens_(s.tokens), basic_(s.basic_auth), header_(s.auth_header), none_(s.auth_none) {
    for (char& c : header_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros) const override {
    if (!none_) {
      const std::string_view auth = req.header("authorization");
      bool ok = false;
      if (!tokens_.empty() && !header_.empty() && header_ != "authorization") {
        const std::string_view given = req.header(header_);
        if (given.empty() && auth.empty()) return PermissionDenied("missing_header");
        const std::string given_hash = Sha256(given);
        ok = !given.empty() &&
             AnyMatches(
                 tokens_, [](const std::string& t) { return Sha256(t); }, given_hash);
      } else if (auth.empty()) {
        return PermissionDenied("missing_header");
      } else if (!tokens_.empty()) {
        ok = BearerTokenMatches(auth, tokens_);
      }
      if (!ok && !basic_.empty()) ok = BasicAuthMatches(auth, basic_);
      if (!ok) return PermissionDenied("credential_mismatch");
    }
    // A sender's own idempotency key when it gives one; else the body's hash, so an
    // identical retry is recognised. Events inside are de-duplicated by their own ids.
    const std::string_view key = req.header("idempotency-key");
    return Verified{key.empty() ? BodyHash(req.body) : std::string(key), std::nullopt};
  }

 private:
  std::vector<std::string> tokens_, basic_;
  std::string header_;
  bool none_;
};

}  // namespace

std::unique_ptr<Verifier> MakeCredentialVerifier(const SourceConfig& source) {
  return std::make_unique<CredentialVerifier>(source);
}

}  // namespace supportpipe::sources
