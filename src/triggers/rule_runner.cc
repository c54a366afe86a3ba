#include "triggers/rule_runner.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "event/codec.h"
#include "pipeline/loader.h"

namespace supportpipe::triggers {
namespace {

// Where the offset the loader must reach is kept across restarts.
constexpr std::string_view kWaitState = "rules_wait_for";

log::EventRecord Of(const event::Event& e) {
  return {.source = e.source,
          .event_id = e.id,
          .ticket_id = e.ticket->id,
          .type = e.type,
          .occurred_at = e.occurred_at,
          .payload = event::EncodeEvent(e)};
}

}  // namespace

std::vector<RuleRunner::Recorded> RuleRunner::Record(const event::Event& e,
                                                     const std::vector<RuleAction>& actions,
                                                     const warehouse::TicketState& ticket,
                                                     const std::optional<std::string>& tier,
                                                     TimeMicros now) {
  std::vector<Recorded> out;
  for (const RuleAction& a : actions) {
    event::Event x;
    x.source = e.source;
    x.occurred_at = e.occurred_at;
    x.received_at = now;
    x.attributes = {{"rule", event::JsonQuote(a.rule->name)},
                    {"rule_trigger", event::JsonQuote(e.id)}};
    if (a.tags_to || a.set_priority || a.route_group) {
      // Sorts right after its trigger (same instant and sequence, the trigger's id as a
      // prefix), and the rules' actions in config order.
      x.id = fmt::format("{}:rule:{:03d}:{}", e.id, a.index + 1, a.rule->name);
      x.type = "ticket.updated";
      x.sequence = e.sequence;
      x.ticket = event::Ticket{.id = ticket.ticket_id};
      if (a.tags_to) x.changes.push_back(event::ListChange("tags", *a.tags_to, a.tags_from));
      if (a.set_priority)
        x.changes.push_back(event::TextChange("priority", a.priority_from, a.priority_to));
      if (a.route_group) x.changes.push_back(event::TextChange("group", a.group_from, a.group_to));
      out.push_back({Of(x), a.rule});
    }
    if (a.escalate) {
      x.id = fmt::format("{}:escalated:{}", ticket.ticket_id, a.rule->name);
      x.type = "ticket.escalated";
      x.sequence.reset();
      x.changes.clear();
      event::Ticket t{.id = ticket.ticket_id};
      t.status = ticket.status;
      t.priority = ticket.priority;
      t.channel = ticket.channel;
      t.subject = ticket.subject;
      t.group = ticket.group;
      t.assignee = ticket.assignee;
      t.requester = ticket.requester;
      t.organization = ticket.organization;
      t.brand = ticket.brand;
      t.tags = ticket.tags;
      x.ticket = std::move(t);
      if (ticket.requester && tier) {
        x.customer = event::Customer{.id = *ticket.requester, .tier = tier};
      }
      out.push_back({Of(x), a.rule});
    }
  }
  return out;
}

Result<RuleRunner::StepResult> RuleRunner::Step() {
  StepResult result;
  ASSIGN_OR_RETURN(const log::Offset loaded, warehouse_.Position(pipeline::kLoaderConsumer));
  ASSIGN_OR_RETURN(const log::Offset cursor, log_.GetCursor(kRulesConsumer));
  if (rules_.empty()) {
    // Rules act on what arrives after they are configured: the history stays as it was.
    if (loaded > cursor) RETURN_IF_ERROR(log_.CommitCursor(kRulesConsumer, loaded));
    return result;
  }
  if (!wait_for_) {
    ASSIGN_OR_RETURN(std::optional<std::string> saved, log_.GetState(kWaitState));
    wait_for_ = saved ? std::stoull(*saved) : 0;
  }
  if (loaded < *wait_for_ || cursor >= loaded) return result;
  ASSIGN_OR_RETURN(std::vector<log::EventRecord> batch, log_.ReadEvents(cursor, 500));
  const TimeMicros now = clock_.Now();
  using TicketKey = std::pair<std::string, std::string>;
  std::map<TicketKey, warehouse::TicketHistory> histories;  // read once per batch
  std::set<TicketKey> changed;  // tickets whose state a rule changed in this batch
  std::vector<Recorded> out;
  log::Offset through = cursor;
  for (const log::EventRecord& r : batch) {
    if (r.offset > loaded) break;
    const TicketKey key(r.source, r.ticket_id);
    if (changed.count(key)) break;  // judged next time, with the change loaded
    through = r.offset;
    ++result.read;
    // Rules judge what arrives, not what supportpipe derives (nor their own actions).
    if (r.ticket_id.empty() || r.raw_offset == 0 || event::IsDerivedType(r.type)) continue;
    Result<event::Event> e = event::DecodeCanonical(r.payload, {.trusted = true});
    if (!e.ok()) return DataLoss("stored event does not decode: " + e.status().ToString());
    e->source = r.source;
    if (!rules_.MayMatch(*e)) continue;
    auto h = histories.find(key);
    if (h == histories.end()) {
      ASSIGN_OR_RETURN(warehouse::TicketHistory read, warehouse_.History(r.source, r.ticket_id));
      h = histories.emplace(key, std::move(read)).first;
    }
    warehouse::TicketState state;
    state.source = r.source;
    state.ticket_id = r.ticket_id;
    const warehouse::TimelineKey at = warehouse::TimelineKey::Of(*e);
    for (size_t i = 0; i < h->second.events.size(); ++i) {
      const event::Event& past = h->second.events[i];
      if (!(warehouse::TimelineKey::Of(past) < at)) break;
      warehouse::Apply(state, past, h->second.raw_offsets[i]);
    }
    warehouse::Apply(state, *e, r.raw_offset);
    const std::vector<RuleAction> actions = rules_.Judge(*e, state, h->second.customer_tier);
    if (actions.empty()) continue;
    for (Recorded& x : Record(*e, actions, state, h->second.customer_tier, now)) {
      if (x.record.type == "ticket.updated") changed.insert(key);
      out.push_back(std::move(x));
    }
  }
  if (!out.empty()) {
    std::vector<log::EventRecord> records;
    for (const Recorded& x : out) records.push_back(x.record);
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(log_.AppendEvents(records, &results));
    log::Offset wait = *wait_for_;
    for (size_t i = 0; i < out.size(); ++i) {
      if (records[i].type == "ticket.updated") wait = std::max(wait, results[i].offset);
      if (results[i].outcome != log::AppendOutcome::kAppended) continue;
      ++result.appended;
      metrics_
          .GetCounter("supportpipe_rule_events_total",
                      "Events recording rules' actions, by rule and type.",
                      {{"rule", out[i].rule->name}, {"type", records[i].type}})
          .Inc();
    }
    if (wait != *wait_for_) {
      // Before the position moves: after a crash the next events still wait for the change.
      RETURN_IF_ERROR(log_.PutState(kWaitState, std::to_string(wait)));
      wait_for_ = wait;
    }
  }
  if (through > cursor) RETURN_IF_ERROR(log_.CommitCursor(kRulesConsumer, through));
  return result;
}

}  // namespace supportpipe::triggers
