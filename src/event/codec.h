// Decoding and encoding canonical events, and splitting request bodies into events.
//
//   for (const BatchItem& item : SplitBatch(body, {}).items) {
//     Result<Event> e = DecodeCanonical(item.bytes, {.now = now});
//     if (!e.ok()) Reject(item.index, e.status().field(), e.status().message());
//   }
//
// Decode failures are InvalidArgument with field() set to the JSON pointer of the
// offending member ("/ticket/id"). Functions are thread-safe (each thread keeps its own
// parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "event/event.h"

namespace supportpipe::event {

struct DecodeOptions {
  TimeMicros now = 0;  // for rejecting timestamps more than 24 h ahead
  // Reading our own stored events: derived types allowed, received_at and source read
  // from the document, no clock check.
  bool trusted = false;
};

Result<Event> DecodeCanonical(std::string_view json, const DecodeOptions& options);

// The contract checks DecodeCanonical applies after reading the fields: known type,
// required members per type, the clock. Also for events built by vendor decoders.
// Defaults a ticket.created's status to "new".
Status CheckEvent(Event* event, const DecodeOptions& options);

// An event's parts as the warehouse keeps them in columns, without the JSON round trip of
// assembling a whole event: JSON texts are empty when the column is NULL.
struct StoredParts {
  std::string_view id, type;
  TimeMicros occurred_at = 0;
  int64_t sequence = 0;
  std::string_view ticket, changes, attributes;  // EncodeTicket / EncodeChanges / EncodeAttributes
  std::optional<std::string_view> author_role;   // the message, when there is one
  bool is_public = true;
  std::optional<std::string_view> csat_rating;
  std::optional<std::string_view> customer_id, customer_tier;
};

// Decodes stored parts into *e (replacing what it held) as DecodeCanonical decodes the
// whole stored event with {.trusted = true}; errors name the part ("/ticket").
Status DecodeStored(const StoredParts& parts, Event* e);

// The stored form: compact JSON with occurred_at/received_at normalised to UTC, unknown
// fields folded into "attributes". DecodeCanonical(EncodeEvent(e), {.trusted = true})
// reproduces e.
std::string EncodeEvent(const Event& e);

// Parts of the stored form, for stores that keep an event's parts in separate columns.
std::string EncodeTicket(const Ticket& ticket);
std::string EncodeChanges(const std::vector<Change>& changes);
std::string EncodeAttributes(const std::vector<std::pair<std::string, std::string>>& attributes);

struct BatchItem {
  size_t index = 0;
  std::string_view bytes;
};

struct Batch {
  std::vector<BatchItem> items;
  Status error;  // the body as a whole is unusable (not JSON, an unterminated array, ...)
};

struct SplitOptions {
  bool ndjson_hint = false;  // Content-Type said JSON lines
  // Parse a single-object body to report malformed JSON for the body as a whole. Callers
  // that decode the one item right after anyway turn this off to parse once.
  bool check_single_object = true;
};

// One object, a JSON array of objects, or JSON lines (one object per line; chosen when
// `ndjson_hint` is set or when the body holds several top-level values). Array elements
// and lines are left for DecodeCanonical to judge one by one.
Batch SplitBatch(std::string_view body, const SplitOptions& options);

// ["a","b"] and back (used for tag lists stored as JSON text).
std::string EncodeStringList(const std::vector<std::string>& list);
std::optional<std::vector<std::string>> DecodeStringList(std::string_view json);

// A JSON string literal with quotes and escapes, and back (nullopt: not a string literal).
std::string JsonQuote(std::string_view s);
void AppendJsonQuoted(std::string* out, std::string_view s);  // JsonQuote(s) added to *out
std::optional<std::string> JsonUnquote(std::string_view json);
// A change whose values are texts (nullopt = null).
Change TextChange(std::string field, const std::optional<std::string>& from,
                  const std::optional<std::string>& to);
// A change to a list of texts (tags); `from` unknown (null) when not given.
Change ListChange(std::string field, const std::vector<std::string>& to,
                  const std::optional<std::vector<std::string>>& from = std::nullopt);

// True when the bytes are one well-formed JSON value in valid UTF-8.
bool IsWellFormedJson(std::string_view body);

}  // namespace supportpipe::event
