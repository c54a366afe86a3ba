// Front: rule webhooks and application webhooks ({id, type, emitted_at, conversation,
// source, target}).
//
// Signatures: application webhooks carry X-Front-Request-Timestamp (ms) and sign
// base64(HMAC-SHA256(app signing key, TIMESTAMP + ":" + BODY)), within the tolerance; their
// validation request carries X-Front-Challenge, answered with the challenge. Rule
// webhooks sign base64(HMAC-SHA1(API secret, BODY)) with no timestamp.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeFrontVerifier(const SourceConfig& source);
std::unique_ptr<Decoder> MakeFrontDecoder();

}  // namespace supportpipe::sources
