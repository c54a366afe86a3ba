#include "warehouse/ticket_state.h"

#include <algorithm>

#include "event/codec.h"

namespace supportpipe::warehouse {
namespace {

void Set(std::optional<std::string>& field, const std::optional<std::string>& v) {
  if (v) field = v;
}

std::optional<std::string>* FieldByName(TicketState& s, std::string_view name) {
  if (name == "status") return &s.status;
  if (name == "priority") return &s.priority;
  if (name == "channel") return &s.channel;
  if (name == "subject") return &s.subject;
  if (name == "group") return &s.group;
  if (name == "assignee") return &s.assignee;
  if (name == "requester") return &s.requester;
  if (name == "organization") return &s.organization;
  if (name == "brand") return &s.brand;
  return nullptr;
}

bool Contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A value from a non-rule event for a field a rule may have set: a snapshot still showing
// the value from before the rule is stale and ignored; anything else ends the rule's hold.
void SetFromHelpdesk(TicketState& s, std::string_view name, std::optional<std::string>& field,
                     const std::optional<std::string>& v, bool explicit_change) {
  auto held = std::find_if(s.rule_fields.begin(), s.rule_fields.end(),
                           [&](const auto& f) { return f.first == name; });
  if (held != s.rule_fields.end()) {
    if (!explicit_change && v == held->second) return;
    s.rule_fields.erase(held);
  }
  field = v;
}

// Tags from a non-rule event: the rules' tags stay unless this event removed them explicitly
// (a change whose `from` lists the tag).
void SetTagsFromHelpdesk(TicketState& s, std::vector<std::string> tags,
                         const event::Change* change) {
  for (auto it = s.rule_tags.begin(); it != s.rule_tags.end();) {
    if (Contains(tags, *it)) {
      ++it;
    } else if (change && change->from_json.find(event::JsonQuote(*it)) != std::string::npos) {
      it = s.rule_tags.erase(it);
    } else {
      tags.push_back(*it++);
    }
  }
  s.tags = std::move(tags);
}

void ApplyRuleAction(TicketState& s, const event::Event& e) {
  for (const event::Change& c : e.changes) {
    if (c.field == "tags") {
      if (!c.to_list) continue;
      for (const std::string& t : *c.to_list) {
        const bool had = s.tags && Contains(*s.tags, t);
        if (!had && !Contains(s.rule_tags, t)) s.rule_tags.push_back(t);
      }
      s.tags = c.to_list;
      continue;
    }
    std::optional<std::string>* f = FieldByName(s, c.field);
    if (!f || !c.to_text) continue;
    const bool held = std::any_of(s.rule_fields.begin(), s.rule_fields.end(),
                                  [&](const auto& r) { return r.first == c.field; });
    if (!held) s.rule_fields.emplace_back(c.field, *f);
    *f = c.to_text;
  }
}

}  // namespace

bool IsRuleAction(const event::Event& e, uint64_t raw_offset) {
  if (raw_offset != 0) return false;
  return std::any_of(e.attributes.begin(), e.attributes.end(),
                     [](const auto& a) { return a.first == "rule"; });
}

void Apply(TicketState& s, const event::Event& e, uint64_t raw_offset) {
  ++s.event_count;
  if (e.type == "ticket.created" && !s.created_seen) {
    s.created_at = e.occurred_at;
    s.created_seen = true;
  } else if (!s.created_seen && (s.created_at == 0 || e.occurred_at < s.created_at)) {
    s.created_at = e.occurred_at;  // no creation event seen yet: the first we know of
  }
  s.updated_at = std::max(s.updated_at, e.occurred_at);
  s.last = TimelineKey::Of(e);
  s.last_raw_offset = raw_offset;

  if (IsRuleAction(e, raw_offset)) return ApplyRuleAction(s, e);
  const bool rules_held = !s.rule_fields.empty() || !s.rule_tags.empty();
  if (e.ticket) {
    const event::Ticket& t = *e.ticket;
    Set(s.status, t.status);
    Set(s.channel, t.channel);
    Set(s.subject, t.subject);
    Set(s.assignee, t.assignee);
    Set(s.requester, t.requester);
    Set(s.organization, t.organization);
    Set(s.brand, t.brand);
    if (rules_held) {
      if (t.priority) SetFromHelpdesk(s, "priority", s.priority, t.priority, false);
      if (t.group) SetFromHelpdesk(s, "group", s.group, t.group, false);
      if (t.tags) SetTagsFromHelpdesk(s, *t.tags, nullptr);
    } else {
      Set(s.priority, t.priority);
      Set(s.group, t.group);
      if (t.tags) s.tags = t.tags;
    }
    if (!t.custom_fields.empty()) s.custom_fields = t.custom_fields;
  }
  for (const event::Change& c : e.changes) {
    if (c.field == "tags") {
      if (!c.to_list) continue;
      if (rules_held) {
        SetTagsFromHelpdesk(s, *c.to_list, &c);
      } else {
        s.tags = c.to_list;
      }
      continue;
    }
    std::optional<std::string>* f = FieldByName(s, c.field);
    if (!f) continue;
    std::optional<std::string> v = *f;
    if (c.to_text) {
      v = c.to_text;
    } else if (c.to_json == "null") {
      v.reset();  // e.g. unassigned
    } else {
      continue;
    }
    if (rules_held) {
      SetFromHelpdesk(s, c.field, *f, v, true);
    } else {
      *f = v;
    }
  }
  if (e.type == "ticket.deleted") s.status = "deleted";
  if (e.type == "ticket.merged") {
    for (const auto& [k, v] : e.attributes) {
      if (k == "merged_into" && v.size() >= 2 && v.front() == '"') {
        s.merged_into = v.substr(1, v.size() - 2);
      }
    }
  }
}

}  // namespace supportpipe::warehouse
