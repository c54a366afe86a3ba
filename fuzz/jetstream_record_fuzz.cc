// Fuzzes the decoders of records read from the JetStream streams (anyone allowed to publish
// on their subjects can put bytes there): never crash, and what decodes survives a round
// trip through the encoder unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "log/jetstream/record_codec.h"

namespace sl = supportpipe::log;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  sl::RawRecord r, r2;
  if (sl::DecodeRaw(in, &r)) {
    if (!sl::DecodeRaw(sl::EncodeRaw(r, r.body), &r2)) __builtin_trap();
    if (r2.source != r.source || r2.kind != r.kind || r2.vendor != r.vendor ||
        r2.delivery_id != r.delivery_id || r2.received_at != r.received_at ||
        r2.headers != r.headers || r2.body != r.body) {
      __builtin_trap();
    }
  }
  sl::EventRecord e, e2;
  if (sl::DecodeEvent(in, &e)) {
    if (!sl::DecodeEvent(sl::EncodeEvent(e), &e2)) __builtin_trap();
    if (e2.source != e.source || e2.event_id != e.event_id || e2.ticket_id != e.ticket_id ||
        e2.type != e.type || e2.occurred_at != e.occurred_at || e2.raw_offset != e.raw_offset ||
        e2.payload != e.payload) {
      __builtin_trap();
    }
  }
  return 0;
}
