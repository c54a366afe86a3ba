#include "support/ticket_metrics.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace supportpipe::support {
namespace {

Duration Between(const Schedule& schedule, TimeMicros from, TimeMicros to) {
  return {(to - from) / 1000000, schedule.BusinessMicros(from, to) / 1000000};
}

void Add(Duration* d, const Schedule& schedule, TimeMicros from, TimeMicros to) {
  // Seconds are floored once, at the end: accumulate microseconds here.
  d->s += to - from;
  d->business_s += schedule.BusinessMicros(from, to);
}

void Floor(Duration* d) {
  d->s /= 1000000;
  d->business_s /= 1000000;
}

// A station counter: non-null values taken, counting a change only when the value differs
// from the one immediately before.
struct Stations {
  std::optional<std::string> value;
  int64_t count = 0;
  void Set(const std::optional<std::string>& v) {
    if (v == value) return;
    value = v;
    if (v) ++count;
  }
};

// The value a change sets: its text, or null.
std::optional<std::string> ChangeValue(const event::Change& c) {
  if (c.to_text) return c.to_text;
  return std::nullopt;
}

}  // namespace

bool TimelineBefore(const event::Event& a, const event::Event& b) {
  auto key = [](const event::Event& e) {
    return std::make_tuple(e.occurred_at, e.sequence.has_value(), e.sequence.value_or(0),
                           std::string_view(e.id));
  };
  return key(a) < key(b);
}

std::vector<const event::Event*> MetricsTimeline(const std::vector<event::Event>& timeline) {
  std::vector<const event::Event*> sorted;
  sorted.reserve(timeline.size());
  for (const event::Event& e : timeline) {
    // Derived events (sla.*, ...) record what supportpipe concluded; they change nothing.
    if (!event::IsDerivedType(e.type)) sorted.push_back(&e);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const event::Event* a, const event::Event* b) {
    return TimelineBefore(*a, *b);
  });
  // The first event with a given id wins (the log de-duplicates; this makes the metrics
  // safe on repeats too).
  std::set<std::string_view> seen;
  std::vector<const event::Event*> events;
  for (const event::Event* e : sorted) {
    if (seen.insert(e->id).second) events.push_back(e);
  }
  auto created = std::find_if(events.begin(), events.end(),
                              [](const event::Event* e) { return e->type == "ticket.created"; });
  if (created == events.end()) return {};
  const TimeMicros t0 = (*created)->occurred_at;
  // A ticket exists from its creation: earlier events apply right after it, in order.
  std::vector<const event::Event*> ordered = {*created};
  for (const event::Event* e : events) {
    if (e != *created) ordered.push_back(e);
  }
  std::stable_sort(ordered.begin() + 1, ordered.end(),
                   [&](const event::Event* a, const event::Event* b) {
                     return std::max(a->occurred_at, t0) < std::max(b->occurred_at, t0);
                   });
  return ordered;
}

std::optional<TicketMetrics> ComputeTicketMetrics(const std::vector<event::Event>& timeline,
                                                  const Schedule& schedule) {
  const std::vector<const event::Event*> ordered = MetricsTimeline(timeline);
  if (ordered.empty()) return std::nullopt;
  const event::Event& created = *ordered.front();
  const TimeMicros t0 = created.occurred_at;

  TicketMetrics m;
  m.created_at = t0;
  std::string status = "new";
  if (created.ticket && created.ticket->status) status = *created.ticket->status;
  if (const event::Change* c = created.FindChange("status"); c && c->to_text) status = *c->to_text;
  m.initial_status = status;
  TimeMicros since = t0;
  Stations assignee, group;
  if (created.ticket) {
    assignee.Set(created.ticket->assignee);
    group.Set(created.ticket->group);
  }
  bool first_public_seen = false;
  std::optional<TimeMicros> last_solve;

  for (const event::Event* ep : ordered) {
    const event::Event& e = *ep;
    const TimeMicros t = std::max(e.occurred_at, t0);
    // Other fields first, then the status.
    for (const event::Change& c : e.changes) {
      if (&e == &created) continue;  // creation values are the starting point above
      if (c.field == "assignee") assignee.Set(ChangeValue(c));
      if (c.field == "group") group.Set(ChangeValue(c));
    }
    if (e.message && e.type != "csat.submitted") {
      const event::Message& msg = *e.message;
      const std::string role = msg.author_role.value_or("");
      if (!msg.is_public) {
        ++m.internal_notes;
      } else {
        const bool first_public = !first_public_seen;
        first_public_seen = true;
        if (first_public && role == "agent") m.agent_created = true;
        if (role == "customer") ++m.customer_messages;
        if (role == "agent" && !first_public) {
          ++m.agent_replies;
          if (!m.first_reply_at) {
            m.first_reply_at = t;
            m.first_reply = Between(schedule, t0, t);
          }
        }
      }
    }
    if (e.type == "csat.submitted" && e.csat) {
      m.csat_rating = e.csat->rating;
      const std::string& r = e.csat->rating;
      m.csat_positive = r == "good" || r == "4" || r == "5";
    }
    std::optional<std::string> to;
    if (&e != &created) {
      if (const event::Change* c = e.FindChange("status"); c && c->to_text) to = *c->to_text;
      if (e.type == "ticket.deleted") to = "deleted";
    }
    if (!to || *to == status) continue;
    // Close the completed interval in the current status.
    if (status == "new" || status == "open" || status == "hold") {
      Add(&m.requester_wait, schedule, since, t);
    }
    if (status == "new" || status == "open") Add(&m.agent_work, schedule, since, t);
    if (status == "pending") Add(&m.agent_wait, schedule, since, t);
    if (status == "hold") Add(&m.on_hold, schedule, since, t);
    const bool solve = *to == "solved" || (*to == "closed" && status != "solved");
    const bool reopen =
        status == "solved" && (*to == "new" || *to == "open" || *to == "pending" || *to == "hold");
    if (solve) {
      if (!m.first_solved_at) {
        m.first_solved_at = t;
        m.first_resolution = Between(schedule, t0, t);
      }
      last_solve = t;
    }
    if (reopen) ++m.reopens;
    m.transitions.push_back({t, status, *to, solve, reopen});
    status = *to;
    since = t;
  }
  Floor(&m.requester_wait);
  Floor(&m.agent_work);
  Floor(&m.agent_wait);
  Floor(&m.on_hold);
  m.status = status;
  m.assignee_stations = assignee.count;
  m.group_stations = group.count;
  if ((status == "solved" || status == "closed") && last_solve) {
    m.last_solved_at = last_solve;
    m.full_resolution = Between(schedule, t0, *last_solve);
    m.resolution_touches = m.agent_replies;
  }
  return m;
}

}  // namespace supportpipe::support
