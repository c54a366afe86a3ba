// libFuzzer target: every vendor's verifier with attacker-controlled headers and body.
// The first byte picks the vendor; the next lines are header values (in the order of
// kHeaders); the rest is the body.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sources/verifier.h"

using namespace supportpipe;

namespace {

constexpr const char* kHeaders[] = {"webhook-id",
                                    "webhook-timestamp",
                                    "webhook-signature",
                                    "x-zendesk-webhook-signature",
                                    "x-zendesk-webhook-signature-timestamp",
                                    "x-hub-signature",
                                    "x-hubspot-signature-v3",
                                    "x-hubspot-request-timestamp",
                                    "x-hubspot-signature",
                                    "x-hubspot-signature-version",
                                    "x-front-signature",
                                    "x-front-request-timestamp",
                                    "x-front-challenge",
                                    "x-helpscout-signature",
                                    "x-slack-signature",
                                    "x-slack-request-timestamp",
                                    "x-hub-signature-256",
                                    "authorization"};
constexpr size_t kHeaderCount = sizeof(kHeaders) / sizeof(kHeaders[0]);

std::vector<std::unique_ptr<sources::Verifier>> Make() {
  std::vector<std::unique_ptr<sources::Verifier>> out;
  for (const std::string& vendor : SupportedVendors()) {
    SourceConfig s;
    s.name = "fuzz";
    s.vendor = vendor;
    s.public_url = "https://hooks.example.com/v1/webhooks/fuzz";
    const bool signs = vendor != "canonical" && vendor != "freshdesk" && vendor != "gorgias" &&
                       vendor != "generic";
    if (signs) {
      s.secrets = {vendor == "standard" ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "secret"};
    } else {
      s.tokens = {"token"};
      s.basic_auth = {"user:pass"};
    }
    out.push_back(std::move(sources::MakeVerifier(s)).value());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto verifiers = Make();
  if (size == 0) return 0;
  const auto& verifier = verifiers[data[0] % verifiers.size()];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view values[kHeaderCount];
  for (auto& v : values) {
    const size_t nl = in.find('\n');
    v = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  sources::WebhookRequest req{"POST", "/v1/webhooks/fuzz?q=%3A",
                              [&](std::string_view n) -> std::string_view {
                                for (size_t i = 0; i < kHeaderCount; ++i) {
                                  if (n == kHeaders[i]) return values[i];
                                }
                                return {};
                              },
                              in};
  (void)verifier->Verify(req, 1614265330LL * 1000000);
  return 0;
}
