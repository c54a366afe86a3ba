#include "warehouse/ticket_state.h"

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

}  // namespace

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

  if (e.ticket) {
    const event::Ticket& t = *e.ticket;
    Set(s.status, t.status);
    Set(s.priority, t.priority);
    Set(s.channel, t.channel);
    Set(s.subject, t.subject);
    Set(s.group, t.group);
    Set(s.assignee, t.assignee);
    Set(s.requester, t.requester);
    Set(s.organization, t.organization);
    Set(s.brand, t.brand);
    if (t.tags) s.tags = t.tags;
    if (!t.custom_fields.empty()) s.custom_fields = t.custom_fields;
  }
  for (const event::Change& c : e.changes) {
    if (c.field == "tags") {
      if (c.to_list) s.tags = c.to_list;
      continue;
    }
    std::optional<std::string>* f = FieldByName(s, c.field);
    if (!f) continue;
    if (c.to_text) {
      *f = c.to_text;
    } else if (c.to_json == "null") {
      f->reset();  // e.g. unassigned
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
