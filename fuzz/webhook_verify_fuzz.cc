// libFuzzer target: Standard Webhooks verification with attacker-controlled headers and
// body. The first three lines of the input are webhook-id, -timestamp and -signature.
#include <cstdint>
#include <string>
#include <string_view>

#include "sources/standard/standard_webhooks.h"

using namespace supportpipe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto verifier = std::move(sources::MakeStandardWebhooksVerifier(
                                       {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, 300))
                             .value();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  for (auto& p : parts) {
    const size_t nl = in.find('\n');
    p = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  sources::WebhookRequest req{"POST", "/v1/webhooks/x",
                              [&](std::string_view n) -> std::string_view {
                                if (n == "webhook-id") return parts[0];
                                if (n == "webhook-timestamp") return parts[1];
                                if (n == "webhook-signature") return parts[2];
                                return {};
                              },
                              in};
  (void)verifier->Verify(req, 1614265330LL * 1000000);
  return 0;
}
