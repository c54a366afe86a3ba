// Zendesk: event webhooks (zen:event-type:*), trigger/automation webhooks whose JSON the
// admin writes (read through the source's [mapping]), and exports (see exports.h).
//
// Signature: X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, TIMESTAMP + BODY)),
// X-Zendesk-Webhook-Signature-Timestamp in ISO 8601, within the source's tolerance.
// `legacy_order = true` signs BODY + TIMESTAMP, as an older Zendesk page described.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeZendeskVerifier(const SourceConfig& source);
Result<std::unique_ptr<Decoder>> MakeZendeskDecoder(const SourceConfig& source);

// The built-in mapping for trigger webhooks that use our documented template.
MappingConfig ZendeskTriggerMapping();

// The signature header value for a request; for tests, `demo` and benchmarks.
std::string ZendeskSign(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace supportpipe::sources
