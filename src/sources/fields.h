// Reading vendor JSON and building canonical events from it: the shared toolkit of the
// vendors' decoders.
//
//   Fields root(doc, "");                       // a JSON object and its pointer
//   std::optional<std::string> id = root.Text("id");   // marks "id" as mapped
//   Fields detail = root.Object("detail");
//   root.Known({"account_id"});                  // documented, unmapped: kept, not drift
//   root.KeepRest(&event);                       // the rest -> attributes (+ drift)
//
// Values are read leniently the way vendors write them: ids as strings or numbers,
// timestamps as RFC 3339 or Unix seconds/milliseconds.
#pragma once

#include <simdjson.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "event/codec.h"
#include "event/event.h"
#include "sources/decoder.h"

namespace supportpipe::sources {

using simdjson::dom::element;

class Fields {
 public:
  Fields() = default;
  // `pointer` is the object's JSON pointer ("" for the root), `prefix` the attribute key
  // prefix for the members kept ("detail.").
  Fields(element value, std::string pointer, std::string prefix = "");

  bool valid() const { return valid_; }
  const std::string& pointer() const { return pointer_; }
  std::string PointerTo(std::string_view key) const;

  // Each of these marks `key` as mapped. Absent and null give nullopt.
  std::optional<element> Take(std::string_view key);
  std::optional<std::string> Text(std::string_view key);  // string, number or bool as text
  std::optional<int64_t> Int(std::string_view key);       // integer, or a string of digits
  std::optional<bool> Bool(std::string_view key);
  // RFC 3339, or Unix seconds / milliseconds as a number or digit string. A present value
  // that is none of these is an error naming the member.
  Result<std::optional<TimeMicros>> Time(std::string_view key);
  Fields Object(std::string_view key);               // invalid when absent or not an object
  std::vector<element> Array(std::string_view key);  // empty when absent

  // Members documented by the vendor that no canonical field takes: kept, not drift.
  void Known(std::initializer_list<std::string_view> keys);
  // Every member is known (a report whose columns the user picks): nothing is drift.
  void AllKnown() { all_known_ = true; }
  // Every member not taken goes to attributes ("<prefix><key>"); unknown ones are also
  // recorded as drift.
  void KeepRest(event::Event* e) const;

  // InvalidArgument naming the member: "/detail/id: is required".
  Status Missing(std::string_view key) const;
  Status Bad(std::string_view key, std::string message) const;

 private:
  bool Used(std::string_view key) const;

  simdjson::dom::object obj_;
  bool valid_ = false;
  bool all_known_ = false;
  std::string pointer_, prefix_;
  std::vector<std::string> taken_, known_;
};

// Parses a body with a thread-local parser. The element stays valid until the next
// Parse on the same thread.
Result<element> ParseBody(std::string_view body);

// The common shape of a decoder: parse the body and read it as one item whose events
// `read` returns (an error fails the item; no events counts it as ignored).
Decoded DecodeEach(std::string_view body,
                   const std::function<Result<std::vector<event::Event>>(element)>& read);

// The same for bodies that may hold many items: the elements of the array at
// `items_pointer` (required when given), else of the body when it is an array, else the
// body itself. `read` gets each item with its JSON pointer ("/3"); one item's error fails
// only that item.
Decoded DecodeItems(
    std::string_view body, const std::string& items_pointer,
    const std::function<Result<std::vector<event::Event>>(element, const std::string&)>& read);

// A canonical event with its id, type, time and ticket id set.
event::Event NewEvent(std::string id, std::string type, TimeMicros at, std::string ticket_id);

using event::ListChange;
using event::TextChange;

// Whole seconds of a time, for fact-based event ids.
std::string Seconds(TimeMicros t);

// A whole decimal number ("1796030102.000200"), or nullopt.
std::optional<double> ParseNumber(std::string_view text);

// Timestamps as exports and templates write them: RFC 3339, Unix seconds or ms, and
// "YYYY-MM-DD HH:MM[:SS]" with an optional offset ("+0100", "+01:00", "Z", "UTC"); no
// offset means UTC.
Result<TimeMicros> ParseLooseTime(std::string_view text);

// "a, b" or "a b" -> {"a", "b"} (templates render tag lists as text).
std::vector<std::string> SplitTags(std::string_view text);

// Lower-case ASCII.
std::string Lower(std::string_view s);

// The elements of an array (empty for anything else).
std::vector<element> Elements(element v);

// Strings of a JSON array (strings, numbers, or objects' `key` member), skipping others.
std::vector<std::string> StringsOf(const std::vector<element>& items, std::string_view key = "");

// An unmapped value in a closed vocabulary: InvalidArgument naming the member and value.
Status Unmapped(const std::string& pointer, std::string_view what, std::string_view value);

}  // namespace supportpipe::sources
