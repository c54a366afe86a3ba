#include "common/crypto.h"
#include "sources/auth.h"
#include "sources/helpscout/helpscout.h"

namespace supportpipe::sources {
namespace {

class HelpScoutVerifier final : public Verifier {
 public:
  explicit HelpScoutVerifier(const SourceConfig& s) : secrets_(s.secrets) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros) const override {
    const std::string_view sig = req.header("x-helpscout-signature");
    if (sig.empty()) return PermissionDenied("missing_header");
    if (!AnyMatches(
            secrets_, [&](const std::string& s) { return Base64Encode(HmacSha1(s, req.body)); },
            sig)) {
      return PermissionDenied("signature_mismatch");
    }
    // The body is a snapshot with no delivery id; the same snapshot may be sent for two
    // different events, so the event name is part of the key.
    const std::string_view event = req.header("x-helpscout-event");
    return Verified{std::string(event) + ":" + BodyHash(req.body), std::nullopt};
  }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace

std::unique_ptr<Verifier> MakeHelpScoutVerifier(const SourceConfig& source) {
  return std::make_unique<HelpScoutVerifier>(source);
}

}  // namespace supportpipe::sources
