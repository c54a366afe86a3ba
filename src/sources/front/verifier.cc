#include "common/crypto.h"
#include "event/codec.h"
#include "sources/auth.h"
#include "sources/front/front.h"

namespace supportpipe::sources {
namespace {

class FrontVerifier final : public Verifier {
 public:
  explicit FrontVerifier(const SourceConfig& s)
      : secrets_(s.secrets), tolerance_s_(s.tolerance_s) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros now) const override {
    const std::string_view sig = req.header("x-front-signature");
    if (sig.empty()) return PermissionDenied("missing_header");
    const std::string_view ts = req.header("x-front-request-timestamp");
    if (!ts.empty()) {
      std::optional<int64_t> ms = ParseInteger(ts);
      if (!ms) return PermissionDenied("bad_timestamp");
      RETURN_IF_ERROR(CheckWindow(*ms, 1000, now, tolerance_s_));
      std::string content;
      content.append(ts).append(":").append(req.body);
      if (!AnyMatches(
              secrets_, [&](const std::string& s) { return Base64Encode(HmacSha256(s, content)); },
              sig)) {
        return PermissionDenied("signature_mismatch");
      }
      if (const std::string_view ch = req.header("x-front-challenge"); !ch.empty()) {
        return Verified{"", "{\"challenge\":" + event::JsonQuote(ch) + "}"};
      }
    } else if (!AnyMatches(
                   secrets_,
                   [&](const std::string& s) { return Base64Encode(HmacSha1(s, req.body)); },
                   sig)) {
      return PermissionDenied("signature_mismatch");
    }
    return BodyMemberOrHash(req.body, "id");
  }

 private:
  std::vector<std::string> secrets_;
  int64_t tolerance_s_;
};

}  // namespace

std::unique_ptr<Verifier> MakeFrontVerifier(const SourceConfig& source) {
  return std::make_unique<FrontVerifier>(source);
}

}  // namespace supportpipe::sources
