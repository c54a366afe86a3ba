// GitHub-style HMAC: X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(secret, BODY)), the
// delivery id in X-GitHub-Delivery. Many in-house systems sign this way. The body holds
// canonical events, or anything the source's [mapping] reads.
#pragma once

#include <memory>

#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeGitHubVerifier(const SourceConfig& source);

}  // namespace supportpipe::sources
