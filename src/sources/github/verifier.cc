#include "common/crypto.h"
#include "sources/auth.h"
#include "sources/github/github.h"

namespace supportpipe::sources {
namespace {

class GitHubVerifier final : public Verifier {
 public:
  explicit GitHubVerifier(const SourceConfig& s) : secrets_(s.secrets) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros) const override {
    const std::string_view sig = req.header("x-hub-signature-256");
    if (sig.empty()) return PermissionDenied("missing_header");
    if (!AnyMatches(
            secrets_,
            [&](const std::string& s) { return "sha256=" + HexEncode(HmacSha256(s, req.body)); },
            sig)) {
      return PermissionDenied("signature_mismatch");
    }
    const std::string_view delivery = req.header("x-github-delivery");
    return Verified{delivery.empty() ? BodyHash(req.body) : std::string(delivery), std::nullopt};
  }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace

std::unique_ptr<Verifier> MakeGitHubVerifier(const SourceConfig& source) {
  return std::make_unique<GitHubVerifier>(source);
}

}  // namespace supportpipe::sources
