#include "pipeline/sla_clock.h"

#include <fmt/format.h>

#include <charconv>

#include "event/codec.h"
#include "pipeline/derived.h"

namespace supportpipe::pipeline {

SlaClock::SlaClock(log::EventLog& log, warehouse::Warehouse& warehouse, const Clock& clock,
                   observe::Registry& metrics)
    : log_(log), warehouse_(warehouse), clock_(clock), metrics_(metrics) {}

void SlaClock::Collect(const warehouse::SlaRow& row, TimeMicros now,
                       std::vector<log::EventRecord>* out) {
  const support::SlaInstance& i = row.sla;
  auto add = [&](std::string_view kind, TimeMicros at) {
    event::Event e;
    // sla.applied names its policy: a re-evaluation that moves the instance to another
    // policy applies that one too.
    e.id = fmt::format("{}:sla:{}:{}:{}", row.ticket_id, i.metric, i.instance, kind);
    if (kind == "applied") e.id += ":" + i.policy;
    e.type = fmt::format("sla.{}", kind);
    e.source = row.source;
    e.occurred_at = at;
    e.received_at = now;  // how late it was recorded: destinations skip old news
    e.ticket.emplace().id = row.ticket_id;
    e.sla = event::Sla{i.policy, i.metric, i.instance, i.target_s, i.due_at};
    out->push_back(DerivedRecord(e));
  };
  add("applied", i.applied_at);
  if (i.warning_at && *i.warning_at <= now) add("warning", *i.warning_at);
  if (i.breached_at) {
    add("breached", *i.breached_at);
  } else if (i.status == "active" && i.due_at && *i.due_at <= now) {
    // No event moved the ticket since the row was derived: the predicted breach happened.
    add("breached", *i.due_at);
  }
  if (i.status == "fulfilled" && i.fulfilled_at) add("fulfilled", *i.fulfilled_at);
  if (i.status != "active") return;
  for (const auto& at : {i.warning_at, i.due_at}) {
    if (at && *at > now) timers_.emplace(*at, row.source, row.ticket_id);
  }
}

Result<size_t> SlaClock::Append(const std::vector<log::EventRecord>& events) {
  if (events.empty()) return size_t{0};
  std::vector<log::AppendResult> results;
  RETURN_IF_ERROR(log_.AppendEvents(events, &results));
  size_t appended = 0;
  for (size_t k = 0; k < events.size(); ++k) {
    if (results[k].outcome != log::AppendOutcome::kAppended) continue;
    ++appended;
    metrics_
        .GetCounter("supportpipe_sla_events_total",
                    "Derived SLA events recorded in the event log, by type.",
                    {{"type", events[k].type}})
        .Inc();
  }
  return appended;
}

namespace {

Result<uint64_t> SavedPosition(log::EventLog& log) {
  ASSIGN_OR_RETURN(std::optional<std::string> saved, log.GetState(kSlaClockState));
  uint64_t position = 0;
  if (saved) std::from_chars(saved->data(), saved->data() + saved->size(), position);
  return position;
}

}  // namespace

Result<bool> SlaClocksCaughtUp(log::EventLog& log, warehouse::Warehouse& warehouse) {
  ASSIGN_OR_RETURN(const uint64_t position, SavedPosition(log));
  ASSIGN_OR_RETURN(std::vector<warehouse::SlaRow> unread, warehouse.SlaChangedAfter(position));
  return unread.empty();
}

Result<SlaClock::StepResult> SlaClock::Step() {
  StepResult result;
  std::vector<log::EventRecord> events;
  const TimeMicros now = clock_.Now();
  if (!rebuilt_) {
    // After a start the timers are rebuilt from the running clocks; what fell due while
    // the process was down fires now, once (the log already has what fired before).
    ASSIGN_OR_RETURN(std::vector<warehouse::SlaRow> active, warehouse_.ActiveSla());
    for (const auto& row : active) Collect(row, now, &events);
    result.rows += active.size();
    ASSIGN_OR_RETURN(position_, SavedPosition(log_));
    rebuilt_ = true;
  }
  ASSIGN_OR_RETURN(std::vector<warehouse::SlaRow> changed, warehouse_.SlaChangedAfter(position_));
  for (const auto& row : changed) Collect(row, now, &events);
  result.rows += changed.size();
  // Due timers: the ticket's rows as they are now decide what fires.
  std::set<std::pair<std::string, std::string>> due;
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= now) {
    due.emplace(std::get<1>(*timers_.begin()), std::get<2>(*timers_.begin()));
    timers_.erase(timers_.begin());
  }
  for (const auto& [source, ticket] : due) {
    ASSIGN_OR_RETURN(std::vector<warehouse::SlaRow> rows, warehouse_.SlaOf(source, ticket));
    for (const auto& row : rows) Collect(row, now, &events);
    result.rows += rows.size();
  }
  ASSIGN_OR_RETURN(result.appended, Append(events));
  // The events are durable: the rows that produced them need not be read again.
  if (!changed.empty()) {
    position_ = changed.front().change_seq;
    RETURN_IF_ERROR(log_.PutState(kSlaClockState, std::to_string(position_)));
  }
  if (!timers_.empty()) result.next = std::get<0>(*timers_.begin());
  return result;
}

}  // namespace supportpipe::pipeline
