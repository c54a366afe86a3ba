// Help Scout: webhooks whose event name is in X-HelpScout-Event and whose body is the
// conversation (or the rating, or the customer).
//
// Signature: X-HelpScout-Signature = base64(HMAC-SHA1(webhook secret, BODY)); no timestamp.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeHelpScoutVerifier(const SourceConfig& source);
std::unique_ptr<Decoder> MakeHelpScoutDecoder();

}  // namespace supportpipe::sources
