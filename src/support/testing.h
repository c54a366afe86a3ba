// Test helpers: a builder of ticket timelines.
//
//   T t;
//   t.Created(Min(0)).Msg(Min(0), "customer").Status(Min(30), "solved");
//   ComputeTicketMetrics(t.events, schedule);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "event/event.h"

namespace supportpipe::support::testing {

// 2026-11-30 (a Monday) 09:00:00 UTC, and minutes after it.
inline constexpr TimeMicros kT0 = 1796029200LL * 1000000;
inline TimeMicros Min(double m) { return kT0 + static_cast<TimeMicros>(m * 60e6); }

struct T {
  std::vector<event::Event> events;
  int n = 0;

  event::Event& Add(std::string type, TimeMicros at) {
    event::Event e;
    e.id = "e" + std::to_string(++n);
    e.type = std::move(type);
    e.occurred_at = at;
    e.ticket.emplace().id = "1";
    events.push_back(std::move(e));
    return events.back();
  }
  T& Created(TimeMicros at, std::string status = "new", std::string assignee = "",
             std::string priority = "") {
    auto& e = Add("ticket.created", at);
    e.ticket->status = status;
    if (!assignee.empty()) e.ticket->assignee = assignee;
    if (!priority.empty()) e.ticket->priority = priority;
    return *this;
  }
  T& Msg(TimeMicros at, std::string role, bool is_public = true) {
    auto& m = Add("message.created", at).message.emplace();
    m.author_role = role;
    m.is_public = is_public;
    return *this;
  }
  // A change of one field (status, priority, assignee, group...) to a value or null.
  T& Change(TimeMicros at, std::string field, std::optional<std::string> to) {
    auto& e = Add(field == "status" ? "ticket.status_changed" : "ticket.updated", at);
    event::Change c;
    c.field = std::move(field);
    c.to_text = to;
    if (!to) c.to_json = "null";
    e.changes.push_back(c);
    return *this;
  }
  T& Status(TimeMicros at, std::string to) { return Change(at, "status", to); }
  T& Tags(TimeMicros at, std::vector<std::string> tags) {
    event::Change c;
    c.field = "tags";
    c.to_list = std::move(tags);
    Add("ticket.tags_changed", at).changes.push_back(std::move(c));
    return *this;
  }
  T& Assign(TimeMicros at, std::optional<std::string> to, std::string field = "assignee") {
    return Change(at, field, to);
  }
  T& Csat(TimeMicros at, std::string rating) {
    Add("csat.submitted", at).csat = event::Csat{rating, std::nullopt};
    return *this;
  }
};

}  // namespace supportpipe::support::testing
