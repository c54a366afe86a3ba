#include "sources/canonical/bearer_token.h"

#include "common/crypto.h"

namespace supportpipe::sources {
namespace {

class BearerTokenVerifier final : public Verifier {
 public:
  explicit BearerTokenVerifier(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  Result<std::string> Verify(const WebhookRequest& req, TimeMicros) const override {
    const std::string_view auth = req.header("authorization");
    if (auth.empty()) return PermissionDenied("missing_header");
    if (!BearerTokenMatches(auth, tokens_)) return PermissionDenied("token_mismatch");
    // A sender's own idempotency key when it gives one; else the body's hash, so an
    // identical retry is recognised. Events inside are de-duplicated by their own ids.
    const std::string_view key = req.header("idempotency-key");
    if (!key.empty()) return std::string(key);
    return "sha256:" + HexEncode(Sha256(req.body));
  }

 private:
  std::vector<std::string> tokens_;
};

}  // namespace

bool BearerTokenMatches(std::string_view auth, const std::vector<std::string>& tokens) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (auth.size() <= kPrefix.size() ||
      !std::equal(kPrefix.begin(), kPrefix.end(), auth.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return false;
  }
  const std::string_view given = auth.substr(kPrefix.size());
  // Hash both sides so the comparison time does not depend on the token's length.
  const std::string given_hash = Sha256(given);
  bool match = false;
  for (const auto& t : tokens) match |= ConstantTimeEquals(given_hash, Sha256(t));
  return match;
}

std::unique_ptr<Verifier> MakeBearerTokenVerifier(std::vector<std::string> tokens) {
  return std::make_unique<BearerTokenVerifier>(std::move(tokens));
}

}  // namespace supportpipe::sources
