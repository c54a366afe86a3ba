// How records are stored in the JetStream streams: a tag ("r1" raw, "e1" event) and then each
// field as "<decimal length>:<bytes>", so any bytes (a raw body, a JSON payload) travel as they
// are. Messages in a stream can come from anyone allowed to publish on its subjects: the
// decoders check every length and reject anything else (fuzz/jetstream_record_fuzz.cc).
//   std::string data = EncodeRaw(record, stored_body);
//   RawRecord r;  if (!DecodeRaw(data, &r)) ...  // not ours
#pragma once

#include <string>
#include <string_view>

#include "log/event_log.h"

namespace supportpipe::log {

// The raw record with `stored_body` (the body, sealed or not) in place of its body.
std::string EncodeRaw(const RawRecord& r, std::string_view stored_body);
// False when `data` is not an encoded raw record. The offset is not part of it.
bool DecodeRaw(std::string_view data, RawRecord* r);
std::string EncodeEvent(const EventRecord& e);
bool DecodeEvent(std::string_view data, EventRecord* e);

}  // namespace supportpipe::log
