// Slack Events API: message events in support channels become tickets (one thread = one
// ticket); url_verification handshakes are answered.
//
// Signature: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + TS + ":" +
// BODY)), X-Slack-Request-Timestamp in seconds, within the tolerance.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeSlackVerifier(const SourceConfig& source);
std::unique_ptr<Decoder> MakeSlackDecoder(const SourceConfig& source);

std::string SlackSign(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace supportpipe::sources
