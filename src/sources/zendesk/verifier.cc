#include "common/crypto.h"
#include "sources/auth.h"
#include "sources/zendesk/zendesk.h"

namespace supportpipe::sources {
namespace {

class ZendeskVerifier final : public Verifier {
 public:
  explicit ZendeskVerifier(const SourceConfig& s)
      : secrets_(s.secrets), tolerance_s_(s.tolerance_s), legacy_(s.legacy_order) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros now) const override {
    const std::string_view sig = req.header("x-zendesk-webhook-signature");
    const std::string_view ts = req.header("x-zendesk-webhook-signature-timestamp");
    if (sig.empty() || ts.empty()) return PermissionDenied("missing_header");
    Result<TimeMicros> at = ParseRfc3339(ts);
    if (!at.ok()) return PermissionDenied("bad_timestamp");
    RETURN_IF_ERROR(CheckWindow(*at, 1, now, tolerance_s_));
    std::string content;
    content.reserve(ts.size() + req.body.size());
    if (legacy_) {
      content.append(req.body).append(ts);
    } else {
      content.append(ts).append(req.body);
    }
    if (!AnyMatches(
            secrets_, [&](const std::string& s) { return Base64Encode(HmacSha256(s, content)); },
            sig)) {
      return PermissionDenied("signature_mismatch");
    }
    // Event webhooks carry the event's id; retries of one invocation share its id.
    const Peeked p = PeekMembers(req.body, {"id"});
    if (p.values[0]) return Verified{"event:" + *p.values[0], std::nullopt, p.json};
    const std::string_view invocation = req.header("x-zendesk-webhook-invocation-id");
    if (!invocation.empty()) {
      return Verified{"invocation:" + std::string(invocation), std::nullopt, p.json};
    }
    return Verified{BodyHash(req.body), std::nullopt, p.json};
  }

 private:
  std::vector<std::string> secrets_;
  int64_t tolerance_s_;
  bool legacy_;
};

}  // namespace

std::string ZendeskSign(std::string_view secret, std::string_view timestamp,
                        std::string_view body) {
  return Base64Encode(HmacSha256(secret, std::string(timestamp) + std::string(body)));
}

std::unique_ptr<Verifier> MakeZendeskVerifier(const SourceConfig& source) {
  return std::make_unique<ZendeskVerifier>(source);
}

}  // namespace supportpipe::sources
