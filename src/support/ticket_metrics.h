// The per-ticket metrics of docs/metrics.md, derived from a ticket's timeline. One engine
// for every warehouse backend (and, later, the SLA clocks).
//
//   std::vector<event::Event> timeline = ...;        // the ticket's events, any order
//   std::optional<TicketMetrics> m = ComputeTicketMetrics(timeline, schedule);
//   if (!m) -> the ticket has no ticket.created yet: no metrics
//
// A pure function of the set of events: order of arrival and repeats do not matter (the
// timeline is sorted here by occurred_at, sequence — missing first — and id, and events
// with an id already seen are skipped).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "event/event.h"
#include "support/schedule.h"

namespace supportpipe::support {

// A duration in whole seconds, calendar and business.
struct Duration {
  int64_t s = 0;
  int64_t business_s = 0;
};

// A change of status on the timeline, with what it meant.
struct Transition {
  TimeMicros at = 0;
  std::string from, to;
  bool solve = false;
  bool reopen = false;
};

struct TicketMetrics {
  TimeMicros created_at = 0;
  std::string status;  // final status on the timeline
  bool agent_created = false;

  std::optional<TimeMicros> first_reply_at;
  std::optional<Duration> first_reply;
  std::optional<TimeMicros> first_solved_at;
  std::optional<Duration> first_resolution;
  std::optional<TimeMicros> last_solved_at;  // only while solved or closed
  std::optional<Duration> full_resolution;
  int64_t reopens = 0;
  int64_t agent_replies = 0;
  int64_t customer_messages = 0;
  int64_t internal_notes = 0;
  Duration requester_wait;  // new, open, hold — completed intervals only
  Duration agent_work;      // new, open
  Duration agent_wait;      // pending
  Duration on_hold;         // hold
  int64_t assignee_stations = 0;
  int64_t group_stations = 0;
  std::optional<int64_t> resolution_touches;  // agent_replies, for solved/closed tickets
  std::optional<std::string> csat_rating;
  std::optional<bool> csat_positive;
  std::string initial_status;           // at creation
  std::vector<Transition> transitions;  // in timeline order
};

std::optional<TicketMetrics> ComputeTicketMetrics(const std::vector<event::Event>& timeline,
                                                  const Schedule& schedule);

// The order metrics use: occurred_at, then sequence (missing first), then id byte-wise.
bool TimelineBefore(const event::Event& a, const event::Event& b);

// The timeline as every metric reads it: sorted, the first event of each id, the first
// ticket.created first, and events stamped before it right after it in their own order;
// derived events left out. Empty when there is no ticket.created. Pointers are into
// `timeline`.
std::vector<const event::Event*> MetricsTimeline(const std::vector<event::Event>& timeline);

}  // namespace supportpipe::support
