// The current state of a ticket, folded from its timeline. Shared by every warehouse
// backend so that they agree on what "current" means.
//
//   TicketState s{.source = "acme", .ticket_id = "42"};
//   for (const Event& e : timeline_sorted_by_key) Apply(s, e);
//
// Plain value; not synchronised.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "event/event.h"

namespace supportpipe::warehouse {

// The order of a ticket's timeline: occurred_at, then the producer's sequence (0 when
// absent), then the event id.
struct TimelineKey {
  TimeMicros occurred_at = 0;
  int64_t sequence = 0;
  std::string event_id;

  static TimelineKey Of(const event::Event& e) {
    return {e.occurred_at, e.sequence.value_or(0), e.id};
  }
  bool operator<(const TimelineKey& o) const {
    return std::tie(occurred_at, sequence, event_id) <
           std::tie(o.occurred_at, o.sequence, o.event_id);
  }
};

struct TicketState {
  std::string source;
  std::string ticket_id;
  std::optional<std::string> status, priority, channel, subject, group, assignee, requester,
      organization, brand, merged_into;
  std::optional<std::vector<std::string>> tags;
  std::string custom_fields;
  TimeMicros created_at = 0;
  bool created_seen = false;  // a ticket.created event fixed created_at
  TimeMicros updated_at = 0;
  int64_t event_count = 0;
  TimelineKey last;
  uint64_t last_raw_offset = 0;
  // What rules changed (docs/rules.md): each field a rule set, with the value it had
  // before, and the tags rules added. A later snapshot from the helpdesk that still shows
  // the old value (or lacks the tag) has not seen the rule and does not undo it; an explicit
  // change does.
  std::vector<std::pair<std::string, std::optional<std::string>>> rule_fields;
  std::vector<std::string> rule_tags;
};

// Whether `e` records a rule's action (made by supportpipe: no raw record, and the
// "rule" attribute).
bool IsRuleAction(const event::Event& e, uint64_t raw_offset);

// Folds one event (the next in timeline order) into the state.
void Apply(TicketState& state, const event::Event& e, uint64_t raw_offset);

}  // namespace supportpipe::warehouse
