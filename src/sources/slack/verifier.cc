#include "common/crypto.h"
#include "event/codec.h"
#include "sources/auth.h"
#include "sources/slack/slack.h"

namespace supportpipe::sources {
namespace {

class SlackVerifier final : public Verifier {
 public:
  explicit SlackVerifier(const SourceConfig& s)
      : secrets_(s.secrets), tolerance_s_(s.tolerance_s) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros now) const override {
    const std::string_view sig = req.header("x-slack-signature");
    const std::string_view ts = req.header("x-slack-request-timestamp");
    if (sig.empty() || ts.empty()) return PermissionDenied("missing_header");
    std::optional<int64_t> secs = ParseInteger(ts);
    if (!secs) return PermissionDenied("bad_timestamp");
    RETURN_IF_ERROR(CheckWindow(*secs, 1000000, now, tolerance_s_));
    if (!AnyMatches(
            secrets_, [&](const std::string& s) { return SlackSign(s, ts, req.body); }, sig)) {
      return PermissionDenied("signature_mismatch");
    }
    // One parse for the handshake and the delivery id.
    const Peeked p = PeekMembers(req.body, {"type", "challenge", "event_id"});
    if (p.values[0] == "url_verification") {
      return Verified{"", "{\"challenge\":" + event::JsonQuote(p.values[1].value_or("")) + "}"};
    }
    return Verified{p.values[2] ? *p.values[2] : BodyHash(req.body), std::nullopt, p.json};
  }

 private:
  std::vector<std::string> secrets_;
  int64_t tolerance_s_;
};

}  // namespace

std::string SlackSign(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string content = "v0:";
  content.append(timestamp).append(":").append(body);
  return "v0=" + HexEncode(HmacSha256(secret, content));
}

std::unique_ptr<Verifier> MakeSlackVerifier(const SourceConfig& source) {
  return std::make_unique<SlackVerifier>(source);
}

}  // namespace supportpipe::sources
