#include "sources/standard/standard_webhooks.h"

#include "common/crypto.h"
#include "sources/auth.h"

namespace supportpipe::sources {
namespace {

Result<std::string> DecodeSecret(std::string_view secret) {
  if (secret.rfind("whsec_", 0) == 0) secret.remove_prefix(6);
  std::optional<std::string> key = Base64Decode(secret);
  if (!key || key->empty()) {
    return InvalidArgument("a Standard Webhooks secret must be whsec_ followed by base64");
  }
  return *key;
}

class StandardWebhooksVerifier final : public Verifier {
 public:
  StandardWebhooksVerifier(std::vector<std::string> keys, int64_t tolerance_s)
      : keys_(std::move(keys)), tolerance_s_(tolerance_s) {}

  Result<Verified> Verify(const WebhookRequest& req, TimeMicros now) const override {
    std::string_view id = req.header("webhook-id");
    std::string_view ts = req.header("webhook-timestamp");
    std::string_view sigs = req.header("webhook-signature");
    if (id.empty() && ts.empty() && sigs.empty()) {
      id = req.header("svix-id");
      ts = req.header("svix-timestamp");
      sigs = req.header("svix-signature");
    }
    if (id.empty() || ts.empty() || sigs.empty()) return PermissionDenied("missing_header");
    std::optional<int64_t> secs = ParseInteger(ts);
    if (!secs) return PermissionDenied("bad_timestamp");
    RETURN_IF_ERROR(CheckWindow(*secs, 1000000, now, tolerance_s_));

    std::string signed_content;
    signed_content.reserve(id.size() + ts.size() + req.body.size() + 2);
    signed_content.append(id).append(".").append(ts).append(".").append(req.body);
    bool match = false;
    for (const std::string& key : keys_) {
      const std::string expected = Base64Encode(HmacSha256(key, signed_content));
      // Every listed signature is checked, so that timing does not reveal which matched.
      size_t pos = 0;
      while (pos < sigs.size()) {
        size_t sp = sigs.find(' ', pos);
        if (sp == std::string_view::npos) sp = sigs.size();
        std::string_view entry = sigs.substr(pos, sp - pos);
        pos = sp + 1;
        if (entry.rfind("v1,", 0) != 0) continue;
        match |= ConstantTimeEquals(entry.substr(3), expected);
      }
    }
    if (!match) return PermissionDenied("signature_mismatch");
    return Verified{std::string(id), std::nullopt};
  }

 private:
  std::vector<std::string> keys_;
  int64_t tolerance_s_;
};

}  // namespace

Result<std::string> StandardWebhooksSign(std::string_view secret, std::string_view id,
                                         std::string_view timestamp, std::string_view body) {
  ASSIGN_OR_RETURN(std::string key, DecodeSecret(secret));
  std::string content;
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return "v1," + Base64Encode(HmacSha256(key, content));
}

Result<std::unique_ptr<Verifier>> MakeStandardWebhooksVerifier(
    const std::vector<std::string>& secrets, int64_t tolerance_s) {
  std::vector<std::string> keys;
  for (const auto& s : secrets) {
    ASSIGN_OR_RETURN(std::string key, DecodeSecret(s));
    keys.push_back(std::move(key));
  }
  return std::unique_ptr<Verifier>(new StandardWebhooksVerifier(std::move(keys), tolerance_s));
}

}  // namespace supportpipe::sources
