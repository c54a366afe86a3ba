// libFuzzer target: request bodies as /v1/events, `import` and canonical webhooks see them.
// Invariants: nothing crashes; an event that decodes re-encodes to a form that decodes
// (trusted) to the same stored bytes; the parts the warehouse keeps in columns decode
// (DecodeStored) to the same ticket, changes and attributes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/time.h"
#include "event/codec.h"

using namespace supportpipe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)ParseRfc3339(body);
  for (bool ndjson : {false, true}) {
    event::Batch batch = event::SplitBatch(body, {.ndjson_hint = ndjson});
    for (const auto& item : batch.items) {
      if (item.bytes.data() < body.data() ||
          item.bytes.data() + item.bytes.size() > body.data() + body.size()) {
        std::abort();  // a split item must lie inside the body
      }
      auto e = event::DecodeCanonical(item.bytes, {.now = 1764494102LL * 1000000});
      if (!e.ok()) continue;
      const std::string stored = event::EncodeEvent(*e);
      auto back = event::DecodeCanonical(stored, {.trusted = true});
      if (!back.ok() || event::EncodeEvent(*back) != stored) std::abort();
      if (!e->ticket) continue;
      const std::string ticket = event::EncodeTicket(*e->ticket);
      const std::string changes = event::EncodeChanges(e->changes);
      const std::string attributes = event::EncodeAttributes(e->attributes);
      event::Event parts;
      const Status st = event::DecodeStored({.id = e->id,
                                             .type = e->type,
                                             .occurred_at = e->occurred_at,
                                             .sequence = e->sequence.value_or(0),
                                             .ticket = ticket,
                                             .changes = changes,
                                             .attributes = attributes},
                                            &parts);
      if (!st.ok() || !parts.ticket || event::EncodeTicket(*parts.ticket) != ticket ||
          event::EncodeChanges(parts.changes) != changes ||
          event::EncodeAttributes(parts.attributes) != attributes) {
        std::abort();
      }
    }
  }
  return 0;
}
