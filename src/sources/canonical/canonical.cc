#include "sources/canonical/canonical.h"

#include "event/codec.h"

namespace supportpipe::sources {
namespace {

class CanonicalDecoder final : public Decoder {
 public:
  Decoded Decode(const Delivery& d) const override {
    Decoded out;
    std::vector<event::BatchItem> items;
    if (d.kind == kKindEvent) {
      items.push_back({0, d.body});
    } else {
      // A single object is parsed once, by the decoder below; a malformed one is then
      // judged a body-level failure.
      event::Batch b = event::SplitBatch(d.body, {.check_single_object = false});
      if (!b.error.ok()) {
        out.error = b.error;
        return out;
      }
      items = std::move(b.items);
    }
    for (const event::BatchItem& item : items) {
      // The clock check uses the receipt time, so a replay judges an event as intake did.
      Result<event::Event> e = event::DecodeCanonical(item.bytes, {.now = d.received_at});
      if (!e.ok() && d.kind != kKindEvent && items.size() == 1 &&
          !event::IsWellFormedJson(item.bytes)) {
        out.error = InvalidArgument("the body is not valid JSON");
        out.items.clear();
        return out;
      }
      out.items.push_back({static_cast<int64_t>(item.index), std::move(e)});
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Decoder> MakeCanonicalDecoder() { return std::make_unique<CanonicalDecoder>(); }

}  // namespace supportpipe::sources
