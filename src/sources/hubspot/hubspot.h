// HubSpot: webhook subscriptions; one request carries a JSON array of events.
//
// Signatures: v3 (X-HubSpot-Signature-v3 = base64(HMAC-SHA256(secret, METHOD + URI + BODY
// + TIMESTAMP)), X-HubSpot-Request-Timestamp in ms, within the tolerance), and the legacy
// X-HubSpot-Signature with X-HubSpot-Signature-Version v1 (hex SHA-256 of SECRET + BODY)
// or v2 (hex SHA-256 of SECRET + METHOD + URI + BODY). URI is the URL as HubSpot called
// it: the source's public_url plus the query string received.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeHubSpotVerifier(const SourceConfig& source);
std::unique_ptr<Decoder> MakeHubSpotDecoder();

// The v3 signature for a request; for tests, `demo` and benchmarks.
std::string HubSpotSignV3(std::string_view secret, std::string_view method, std::string_view uri,
                          std::string_view body, std::string_view timestamp_ms);

}  // namespace supportpipe::sources
