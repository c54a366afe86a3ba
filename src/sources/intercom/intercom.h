// Intercom: notification webhooks ({type: "notification_event", topic, data.item}) and
// conversation JSON exports (see exports.h).
//
// Signature: X-Hub-Signature = "sha1=" + hex(HMAC-SHA1(client secret, BODY)); no
// timestamp, so retries are recognised by the notification id.
#pragma once

#include <memory>

#include "sources/decoder.h"
#include "sources/verifier.h"

namespace supportpipe::sources {

std::unique_ptr<Verifier> MakeIntercomVerifier(const SourceConfig& source);
std::unique_ptr<Decoder> MakeIntercomDecoder();

}  // namespace supportpipe::sources
