// Standard Webhooks (standardwebhooks.com; Svix uses the same scheme with svix-* headers):
// HMAC-SHA256 over "id.timestamp.body" with the base64-decoded secret (after "whsec_"),
// header "v1,<base64>" entries separated by spaces, timestamp within ±tolerance.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sources/verifier.h"

namespace supportpipe::sources {

// The "v1,<base64>" signature for one secret; exposed for tests, `demo`-style senders
// and benchmarks that must produce valid requests.
Result<std::string> StandardWebhooksSign(std::string_view secret, std::string_view id,
                                         std::string_view timestamp, std::string_view body);

Result<std::unique_ptr<Verifier>> MakeStandardWebhooksVerifier(
    const std::vector<std::string>& secrets, int64_t tolerance_s);

}  // namespace supportpipe::sources
