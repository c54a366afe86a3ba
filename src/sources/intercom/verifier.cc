#include "common/crypto.h"
#include "sources/auth.h"
#include "sources/intercom/intercom.h"

namespace supportpipe::sources {
namespace {

class IntercomVerifier final : public Verifier {
 public:
  explicit IntercomVerifier(const SourceConfig& s) : secrets_(s.secrets) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros) const override {
    const std::string_view sig = req.header("x-hub-signature");
    if (sig.empty()) return PermissionDenied("missing_header");
    if (!AnyMatches(
            secrets_,
            [&](const std::string& s) { return "sha1=" + HexEncode(HmacSha1(s, req.body)); },
            sig)) {
      return PermissionDenied("signature_mismatch");
    }
    return BodyMemberOrHash(req.body, "id");
  }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace

std::unique_ptr<Verifier> MakeIntercomVerifier(const SourceConfig& source) {
  return std::make_unique<IntercomVerifier>(source);
}

}  // namespace supportpipe::sources
