// Decoder: turns one stored delivery (a vendor's webhook body, or an export item) into
// canonical events.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, MakeDecoder(source_config));
//   Decoded out = d->Decode({.source = "acme", .headers = raw.headers, .body = raw.body,
//                            .received_at = raw.received_at});
//   if (!out.error.ok()) -> the body as a whole is unusable (dead letter, stage "decode")
//   for (auto& item : out.items)
//     item.event.ok() ? append(*item.event) : dead-letter(item.index, item.event.status())
//
// One body item may yield several events (a new ticket and its first message), or none
// (a vendor event that carries no support fact, counted as ignored). Event ids are
// deterministic: the vendor's id for the fact, else one built from the fact itself
// ("4711:status:solved@1733312345"), so a webhook and a backfill of the same fact agree.
// Every vendor field the mapping does not use is kept under attributes; fields outside
// the vendor's documented shape are also listed in Event::drift.
//
// Decoders are immutable after construction and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "event/event.h"

namespace supportpipe::sources {

// How a delivery arrived: a webhook body, or one item of an export file
// ("export:zendesk-tickets"); see ExportFormats().
inline constexpr std::string_view kWebhook = "webhook";
// Exactly one canonical event (POST /v1/events and canonical imports split bodies
// before storing); always read by the canonical decoder.
inline constexpr std::string_view kKindEvent = "event";
inline constexpr std::string_view kExportPrefix = "export:";

struct Delivery {
  std::string_view source;
  std::string_view kind = kWebhook;
  std::string_view headers;  // JSON object of request headers, lower-case names; may be ""
  std::string_view body;
  TimeMicros received_at = 0;
};

struct DecodedItem {
  DecodedItem(int64_t i, event::Event e) : index(i), event(std::move(e)) {}
  DecodedItem(int64_t i, Status st) : index(i), status(std::move(st)) {}
  DecodedItem(int64_t i, Result<event::Event> e) : index(i) {
    if (e.ok()) {
      event = std::move(e).value();
    } else {
      status = e.status();
    }
  }

  int64_t index = 0;  // the item's position in the body (array element, line)
  Status status;      // why the item could not be mapped; `event` is unset then
  event::Event event;
};

struct Decoded {
  Status error;  // the body as a whole cannot be used
  std::vector<DecodedItem> items;
  int ignored = 0;  // items that carry no support fact (a Slack bot message, ...)
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Decoded Decode(const Delivery& delivery) const = 0;
};

// The decoder for a configured source (its vendor plus its [mapping]); InvalidArgument
// when the mapping or schema_file is unusable.
Result<std::unique_ptr<Decoder>> MakeDecoder(const SourceConfig& source);

// One header's value from the stored headers JSON; "" when absent.
std::string StoredHeader(std::string_view headers_json, std::string_view name);

}  // namespace supportpipe::sources
