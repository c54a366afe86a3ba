// The canonical event (supportpipe/v1): one fact about one ticket, customer or agent
// at one instant. docs/events.md and schemas/event.v1.json describe it for producers;
// keep all three in step.
//
//   Result<Event> e = DecodeCanonical(bytes, {.now = clock.Now()});
//   std::string stored = EncodeEvent(*e);   // what the event log keeps
//
// Plain values; not synchronised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"

namespace supportpipe::event {

inline constexpr std::string_view kSpec = "supportpipe/v1";

struct Ticket {
  std::string id;
  std::optional<std::string> status, priority, channel, subject, group, assignee, requester,
      organization, brand;
  std::optional<std::vector<std::string>> tags;
  std::string custom_fields;  // a JSON object as text, or empty
};

// One entry of `changes`: field -> {from, to}. Values are kept as JSON text; `to_text`
// and `to_list` are filled when `to` is a string (or number) and a list of strings.
struct Change {
  std::string field;
  std::string from_json = "null";
  std::string to_json = "null";
  std::optional<std::string> to_text;
  std::optional<std::vector<std::string>> to_list;
};

struct Message {
  std::optional<std::string> id, author, author_role, body, channel;
  bool is_public = true;
};

// One consent the customer gave or withdrew ("analytics", "marketing", ...), and when.
struct Consent {
  std::string purpose;
  bool granted = false;
  std::optional<TimeMicros> at;  // when stated; the event's occurred_at when absent
};

struct Customer {
  std::string id;
  std::optional<std::string> email, name, phone, organization, tier;
  std::optional<std::string> external_id;  // an id the customer has in every system (a CRM's)
  std::optional<bool> email_verified;      // the producer checked the address belongs to them
  std::vector<Consent> consent;
};

struct Agent {
  std::string id;
  std::optional<std::string> name, email, group;
};

struct Csat {
  std::string rating;  // "good", "bad", or "1".."5"
  std::optional<std::string> comment;
};

// Customer context (order.*, return.requested, subscription.changed, account.changed): the
// object the event is about, under the member named by `kind`.
struct Context {
  std::string kind;  // order | return | subscription | account
  std::string id;
  std::optional<std::string> status;
  std::optional<double> amount;         // in `currency`, as sent (decimal)
  std::optional<std::string> currency;  // ISO 4217, upper case; required with amount
  std::optional<int64_t> items;         // item count, >= 0
  std::optional<std::string> order_id;  // return: the order returned
  std::optional<std::string> plan;      // subscription, account
  std::optional<std::string> reason;    // return
};

// The member a context type carries ("order" for order.*), or "" for other types.
std::string_view ContextKind(std::string_view type);

// What a derived sla.* event is about: one instance of one SLA metric of a ticket.
struct Sla {
  std::string policy;
  std::string metric;
  int64_t instance = 0;
  int64_t target_s = 0;
  std::optional<TimeMicros> due_at;
};

// What a derived surge.detected event says: a burst of creations for one dimension value.
struct Surge {
  std::string dimension;  // channel | tags | group
  std::string value;
  TimeMicros bucket_start = 0;
  int64_t bucket_s = 0;
  int64_t count = 0;
  double mean = 0, variance = 0, score = 0;  // mean and variance before the bucket
};

struct Event {
  std::string id;
  std::string type;
  std::string source;
  TimeMicros occurred_at = 0;
  TimeMicros received_at = 0;
  std::optional<int64_t> sequence;
  std::optional<Ticket> ticket;
  std::vector<Change> changes;
  std::optional<Message> message;
  std::optional<Customer> customer;
  std::optional<Agent> agent;
  std::optional<Csat> csat;
  std::optional<Context> context;  // customer context types only
  std::optional<Sla> sla;          // derived sla.* events only
  std::optional<Surge> surge;      // derived surge.detected events only
  // Producer attributes plus every field the spec does not know, as (key, JSON text).
  std::vector<std::pair<std::string, std::string>> attributes;
  int drift_fields = 0;  // unknown fields moved into attributes
  // Their names ("ticket.sla_tier", "detail.new_flag"); not part of the stored form.
  std::vector<std::string> drift;

  const Change* FindChange(std::string_view field) const {
    for (const auto& c : changes) {
      if (c.field == field) return &c;
    }
    return nullptr;
  }
  // The ticket this event is about, or "" for customer/agent events.
  std::string_view TicketId() const { return ticket ? std::string_view(ticket->id) : ""; }
};

// Types a producer may send (ticket, message, csat, profile and context types). Derived types
// (sla.*, ticket.escalated, surge.detected, pipeline.alert) are emitted by supportpipe only.
bool IsProducerType(std::string_view type);
bool IsDerivedType(std::string_view type);
inline constexpr std::string_view kDerivedTypes[] = {
    "sla.applied",      "sla.warning",    "sla.breached",  "sla.fulfilled",
    "ticket.escalated", "surge.detected", "pipeline.alert"};

inline constexpr const char* kStatuses[] = {"new",    "open",   "pending", "hold",
                                            "solved", "closed", "deleted"};
inline constexpr const char* kPriorities[] = {"low", "normal", "high", "urgent"};

// Whether a (lower-case) word is in the canonical vocabulary.
inline bool IsStatus(std::string_view s) {
  for (const char* k : kStatuses) {
    if (s == k) return true;
  }
  return false;
}
inline bool IsPriority(std::string_view p) {
  for (const char* k : kPriorities) {
    if (p == k) return true;
  }
  return false;
}

}  // namespace supportpipe::event
