// Zendesk payloads -> canonical events.
//
// Event ids name the fact, so that a webhook and an export of the same fact agree:
//   "<ticket>:created", "comment:<comment id>", "<ticket>:<field>:<to>@<unix s>",
//   "<ticket>:snapshot@<updated_at s>" for export snapshots, "metric:<id>".
#include <fmt/format.h>

#include "event/codec.h"
#include "sources/auth.h"
#include "sources/fields.h"
#include "sources/generic/mapping.h"
#include "sources/generic/template.h"
#include "sources/zendesk/zendesk.h"

namespace supportpipe::sources {
namespace {

Result<std::optional<std::string>> MapStatus(const std::optional<std::string>& v,
                                             const std::string& ptr) {
  if (!v || v->empty()) return std::optional<std::string>();
  std::string s = Lower(*v);
  if (event::IsStatus(s)) return std::optional<std::string>(s);
  return Unmapped(ptr, "status", *v);
}

Result<std::optional<std::string>> MapPriority(const std::optional<std::string>& v,
                                               const std::string& ptr) {
  if (!v || v->empty()) return std::optional<std::string>();
  std::string s = Lower(*v);
  if (event::IsPriority(s)) return std::optional<std::string>(s);
  return Unmapped(ptr, "priority", *v);
}

std::string Channel(std::string_view via) {
  const std::string v = Lower(via);
  if (v == "web_service" || v == "api") return "api";
  if (v == "web_form" || v == "web" || v == "web form") return "web";
  if (v == "mail" || v == "email") return "email";
  if (v == "native_messaging" || v == "messaging" || v == "sunshine_conversations_api") {
    return "messaging";
  }
  if (v == "voice" || v == "phone" || v == "phone_call_inbound" || v == "phone_call_outbound") {
    return "phone";
  }
  if (v == "twitter" || v == "facebook" || v == "instagram_dm" || v == "whatsapp") return "social";
  return v;
}

// A ticket as Zendesk writes it: webhook `detail` (ids as strings, statuses upper-case)
// and the API's ticket object (numbers, lower-case) share the member names.
Result<event::Ticket> ReadTicket(Fields& t) {
  event::Ticket out;
  std::optional<std::string> id = t.Text("id");
  if (!id || id->empty()) return t.Missing("id");
  out.id = *id;
  ASSIGN_OR_RETURN(out.status, MapStatus(t.Text("status"), t.PointerTo("status")));
  ASSIGN_OR_RETURN(out.priority, MapPriority(t.Text("priority"), t.PointerTo("priority")));
  Fields via = t.Object("via");
  if (std::optional<std::string> ch = via.Text("channel")) out.channel = Channel(*ch);
  via.Known({"source"});
  out.subject = t.Text("subject");
  out.group = t.Text("group_id");
  out.assignee = t.Text("assignee_id");
  out.requester = t.Text("requester_id");
  out.organization = t.Text("organization_id");
  out.brand = t.Text("brand_id");
  if (t.Take("tags")) out.tags = StringsOf(t.Array("tags"));
  std::vector<element> custom = t.Array("custom_fields");
  if (!custom.empty()) {
    std::string obj = "{";
    for (element f : custom) {
      element fid, val;
      if (f["id"].get(fid) || f["value"].get(val)) continue;
      const std::string key =
          fid.is_string() ? std::string(fid.get_string().value()) : simdjson::minify(fid);
      obj += (obj.size() > 1 ? "," : "") + event::JsonQuote(key) + ":" + simdjson::minify(val);
    }
    out.custom_fields = obj + "}";
  }
  t.Known({"actor_id",
           "created_at",
           "updated_at",
           "custom_status",
           "custom_status_id",
           "description",
           "external_id",
           "form_id",
           "ticket_form_id",
           "is_public",
           "submitter_id",
           "type",
           "url",
           "raw_subject",
           "recipient",
           "collaborator_ids",
           "follower_ids",
           "email_cc_ids",
           "has_incidents",
           "due_at",
           "satisfaction_rating",
           "sharing_agreement_ids",
           "fields",
           "followup_ids",
           "problem_id",
           "allow_channelback",
           "allow_attachments",
           "from_messaging_channel",
           "generated_timestamp",
           "encoded_id",
           "result_type",
           "brand"});
  return out;
}

void SnapshotChanges(const event::Ticket& t, event::Event* e) {
  if (t.status) e->changes.push_back(TextChange("status", std::nullopt, t.status));
  if (t.priority) e->changes.push_back(TextChange("priority", std::nullopt, t.priority));
  if (t.assignee) e->changes.push_back(TextChange("assignee", std::nullopt, t.assignee));
  if (t.group) e->changes.push_back(TextChange("group", std::nullopt, t.group));
  if (t.tags) e->changes.push_back(ListChange("tags", *t.tags));
}

// The `current`/`previous` of a change event: a string, a number, or {id}.
std::optional<std::string> ChangeValue(Fields& ev, std::string_view key) {
  std::optional<element> v = ev.Take(key);
  if (!v) return std::nullopt;
  element x = *v;
  if (x.is_object() && x["id"].get(x)) return std::nullopt;
  if (x.is_string()) return std::string(x.get_string().value());
  if (x.is_int64()) return std::to_string(x.get_int64().value());
  return std::nullopt;
}

class ZendeskDecoder final : public Decoder {
 public:
  explicit ZendeskDecoder(std::unique_ptr<Decoder> trigger) : trigger_(std::move(trigger)) {}

  Decoded Decode(const Delivery& d) const override {
    const std::string_view kind = d.kind;
    if (kind == "export:zendesk-tickets") return DecodeEach(d.body, One<TicketSnapshot>);
    if (kind == "export:zendesk-ticket-events") return DecodeEach(d.body, Audit);
    if (kind == "export:zendesk-ticket-metric-events") return DecodeEach(d.body, One<MetricEvent>);
    if (kind == "export:zendesk-csv") return DecodeEach(d.body, CsvRow);
    // Trigger and automation webhooks carry JSON the admin wrote, read by the mapping.
    if (PeekMember(d.body, "type").value_or("").rfind("zen:event-type:", 0) != 0) {
      return trigger_->Decode(d);
    }
    return DecodeEach(d.body, EventWebhook);
  }

 private:
  template <Result<event::Event> (*Read)(element)>
  static Result<std::vector<event::Event>> One(element item) {
    ASSIGN_OR_RETURN(event::Event e, Read(item));
    return std::vector<event::Event>{std::move(e)};
  }

  // zen:event-type:ticket.* webhooks.
  static Result<std::vector<event::Event>> EventWebhook(element root) {
    Fields top(root, "");
    const std::string type = top.Text("type").value_or("");
    const std::string name = type.substr(std::string_view("zen:event-type:").size());
    const std::optional<std::string> vendor_id = top.Text("id");
    if (!vendor_id) return top.Missing("id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> time, top.Time("time"));
    if (!time) return top.Missing("time");
    top.Known({"account_id", "subject", "zendesk_event_version"});
    Fields detail = top.Object("detail");
    if (!detail.valid()) return top.Missing("detail");
    ASSIGN_OR_RETURN(event::Ticket ticket, ReadTicket(detail));
    const std::string tid = ticket.id;
    Fields ev = top.Object("event");
    // Zendesk orders the events of one update by meta.sequence.
    Fields meta = ev.Object("meta");
    Fields seq = meta.Object("sequence");
    const std::optional<int64_t> position = seq.Int("position");
    seq.Known({"id", "total"});
    const std::string at = "@" + Seconds(*time);
    std::vector<event::Event> out;
    auto change = [&](const char* field, std::optional<std::string> from,
                      std::optional<std::string> to, const char* type) {
      event::Event e =
          NewEvent(fmt::format("{}:{}:{}{}", tid, field, to.value_or(""), at), type, *time, "");
      e.changes.push_back(TextChange(field, from, to));
      out.push_back(std::move(e));
    };
    if (name == "ticket.created") {
      ASSIGN_OR_RETURN(std::optional<TimeMicros> created, detail.Time("created_at"));
      event::Event e = NewEvent(tid + ":created", "ticket.created", created.value_or(*time), "");
      out.push_back(std::move(e));
    } else if (name == "ticket.comment_added") {
      Fields c = ev.Object("comment");
      std::optional<std::string> cid = c.Text("id");
      if (!cid) return InvalidArgument("is required", "/event/comment/id");
      event::Event e = NewEvent("comment:" + *cid, "message.created", *time, "");
      auto& m = e.message.emplace();
      m.id = cid;
      m.body = c.Text("body");
      m.is_public = c.Bool("is_public").value_or(true);
      Fields author = c.Object("author");
      m.author = author.Text("id");
      m.author_role = author.Bool("is_staff").value_or(false) ? "agent" : "customer";
      author.Known({"name"});
      author.KeepRest(&e);
      c.Known({"html_body", "attachments", "via"});
      c.KeepRest(&e);
      out.push_back(std::move(e));
    } else if (name == "ticket.status_changed") {
      ASSIGN_OR_RETURN(auto from, MapStatus(ChangeValue(ev, "previous"), "/event/previous"));
      ASSIGN_OR_RETURN(auto to, MapStatus(ChangeValue(ev, "current"), "/event/current"));
      if (!to) return InvalidArgument("is required", "/event/current");
      change("status", from, to, "ticket.status_changed");
    } else if (name == "ticket.priority_changed") {
      ASSIGN_OR_RETURN(auto from, MapPriority(ChangeValue(ev, "previous"), "/event/previous"));
      ASSIGN_OR_RETURN(auto to, MapPriority(ChangeValue(ev, "current"), "/event/current"));
      change("priority", from, to, "ticket.priority_changed");
    } else if (name == "ticket.agent_assignment_changed") {
      auto from = ChangeValue(ev, "previous");
      change("assignee", from, ChangeValue(ev, "current"), "ticket.assigned");
    } else if (name == "ticket.group_assignment_changed") {
      auto from = ChangeValue(ev, "previous");
      change("group", from, ChangeValue(ev, "current"), "ticket.assigned");
    } else if (name == "ticket.tags_changed") {
      ev.Known({"tags_added", "tags_removed"});
      event::Event e =
          NewEvent(fmt::format("{}:tags{}", tid, at), "ticket.tags_changed", *time, "");
      e.changes.push_back(ListChange("tags", ticket.tags.value_or(std::vector<std::string>())));
      out.push_back(std::move(e));
    } else if (name == "ticket.soft_deleted" || name == "ticket.permanently_deleted") {
      out.push_back(NewEvent(tid + ":deleted", "ticket.deleted", *time, ""));
    } else {
      // Any other ticket event: the snapshot it carries, keyed by Zendesk's event id.
      event::Event e = NewEvent(*vendor_id, "ticket.updated", *time, "");
      e.attributes.emplace_back("zendesk_event_type", event::JsonQuote(name));
      out.push_back(std::move(e));
    }
    for (auto& e : out) {
      e.ticket = ticket;
      e.sequence = position;
      e.attributes.emplace_back("zendesk_event_id", event::JsonQuote(*vendor_id));
    }
    if (!out.empty()) {
      detail.KeepRest(&out[0]);
      seq.KeepRest(&out[0]);
      meta.KeepRest(&out[0]);
      ev.KeepRest(&out[0]);
      top.KeepRest(&out[0]);
    }
    return out;
  }

  // One ticket of the incremental ticket export (cursor or time based).
  static Result<event::Event> TicketSnapshot(element item) {
    Fields t(item, "");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> updated, t.Time("updated_at"));
    if (!updated) return t.Missing("updated_at");
    ASSIGN_OR_RETURN(event::Ticket ticket, ReadTicket(t));
    event::Event e = NewEvent(fmt::format("{}:snapshot@{}", ticket.id, Seconds(*updated)),
                              "ticket.updated", *updated, "");
    SnapshotChanges(ticket, &e);
    e.ticket = std::move(ticket);
    t.KeepRest(&e);
    return e;
  }

  // One audit of the incremental ticket events export, with its child events.
  static Result<std::vector<event::Event>> Audit(element item) {
    Fields a(item, "");
    std::optional<std::string> tid = a.Text("ticket_id");
    if (!tid) return a.Missing("ticket_id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> at, a.Time("created_at"));
    if (!at) {
      ASSIGN_OR_RETURN(at, a.Time("timestamp"));
    }
    if (!at) return a.Missing("created_at");
    a.Take("timestamp");
    const std::optional<std::string> updater = a.Text("updater_id");
    a.Known({"id", "via", "event_type", "merged_ticket_ids", "system"});
    std::vector<element> children = a.Array("child_events");
    // The requester, when this audit names one, tells customer comments from agents'.
    std::optional<std::string> requester = a.Text("requester_id");
    for (element c : children) {
      element v, name;
      const bool by_name = !c["field_name"].get(name) && name.is_string() &&
                           name.get_string().value() == "requester_id" && !c["value"].get(v);
      if (by_name || !c["requester_id"].get(v)) {
        if (v.is_string()) requester = std::string(v.get_string().value());
        if (v.is_int64()) requester = std::to_string(v.get_int64().value());
      }
    }
    const std::string when = "@" + Seconds(*at);
    std::vector<event::Event> out;
    event::Event created;  // Create children fold into one ticket.created
    bool has_create = false;
    for (size_t i = 0; i < children.size(); ++i) {
      Fields c(children[i], fmt::format("/child_events/{}", i), "");
      const std::string kind = c.Text("event_type").value_or("");
      if (kind == "Create") {
        if (!has_create) created = NewEvent(*tid + ":created", "ticket.created", *at, *tid);
        has_create = true;
        std::optional<std::string> field = c.Text("field_name");
        if (field) {
          RETURN_IF_ERROR(SetField(&*created.ticket, *field, c.Text("value"), c));
        } else {
          for (const char* f : {"status", "priority", "subject", "assignee_id", "group_id",
                                "requester_id", "organization_id", "brand_id"}) {
            RETURN_IF_ERROR(SetField(&*created.ticket, f, c.Text(f), c));
          }
          if (c.Take("tags")) created.ticket->tags = StringsOf(c.Array("tags"));
        }
      } else if (kind == "Change") {
        std::optional<std::string> field = c.Text("field_name");
        if (!field) continue;
        std::optional<std::string> to = c.Text("value");
        std::optional<std::string> from = c.Text("previous_value");
        event::Event e = NewEvent("", "ticket.updated", *at, *tid);
        if (*field == "status") {
          ASSIGN_OR_RETURN(to, MapStatus(to, c.PointerTo("value")));
          ASSIGN_OR_RETURN(from, MapStatus(from, c.PointerTo("previous_value")));
          e.type = "ticket.status_changed";
          e.changes.push_back(TextChange("status", from, to));
        } else if (*field == "priority") {
          ASSIGN_OR_RETURN(to, MapPriority(to, c.PointerTo("value")));
          ASSIGN_OR_RETURN(from, MapPriority(from, c.PointerTo("previous_value")));
          e.type = "ticket.priority_changed";
          e.changes.push_back(TextChange("priority", from, to));
        } else if (*field == "assignee_id" || *field == "group_id") {
          e.type = "ticket.assigned";
          e.changes.push_back(TextChange(*field == "assignee_id" ? "assignee" : "group", from, to));
        } else if (*field == "tags") {
          e.type = "ticket.tags_changed";
          std::vector<element> tags = c.Array("value");
          e.changes.push_back(ListChange("tags", StringsOf(tags)));
          e.id = fmt::format("{}:tags{}", *tid, when);
          out.push_back(std::move(e));
          continue;
        } else {
          e.changes.push_back(TextChange(*field, from, to));
        }
        const std::string name = e.changes[0].field;
        e.id = fmt::format("{}:{}:{}{}", *tid, name, e.changes[0].to_text.value_or(""), when);
        out.push_back(std::move(e));
      } else if (kind == "Comment") {
        std::optional<std::string> cid = c.Text("id");
        if (!cid) return c.Missing("id");
        event::Event e = NewEvent("comment:" + *cid, "message.created", *at, *tid);
        auto& m = e.message.emplace();
        m.id = cid;
        m.body = c.Text("body");
        m.is_public = c.Bool("public").value_or(true);
        m.author = c.Text("author_id");
        if (!m.author) m.author = updater;
        m.author_role = requester && m.author == requester ? "customer" : "agent";
        c.Known({"html_body", "plain_body", "attachments", "audit_id", "via", "created_at"});
        c.KeepRest(&e);
        out.push_back(std::move(e));
      }
    }
    if (has_create) out.insert(out.begin(), std::move(created));
    if (!out.empty()) a.KeepRest(&out[0]);
    return out;
  }

  static Status SetField(event::Ticket* t, std::string_view field,
                         const std::optional<std::string>& v, const Fields& c) {
    if (!v) return Status::Ok();
    if (field == "status") {
      ASSIGN_OR_RETURN(t->status, MapStatus(v, c.PointerTo("value")));
    } else if (field == "priority") {
      ASSIGN_OR_RETURN(t->priority, MapPriority(v, c.PointerTo("value")));
    } else if (field == "subject") {
      t->subject = v;
    } else if (field == "assignee_id") {
      t->assignee = v;
    } else if (field == "group_id") {
      t->group = v;
    } else if (field == "requester_id") {
      t->requester = v;
    } else if (field == "organization_id") {
      t->organization = v;
    } else if (field == "brand_id") {
      t->brand = v;
    }
    return Status::Ok();
  }

  // One ticket metric event: Zendesk's own SLA and metric clock, kept for reconciliation.
  static Result<event::Event> MetricEvent(element item) {
    Fields m(item, "");
    std::optional<std::string> id = m.Text("id");
    std::optional<std::string> tid = m.Text("ticket_id");
    if (!id) return m.Missing("id");
    if (!tid) return m.Missing("ticket_id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> at, m.Time("time"));
    if (!at) return m.Missing("time");
    event::Event e = NewEvent("metric:" + *id, "ticket.updated", *at, *tid);
    m.Known({"metric", "instance_id", "type", "sla", "status", "deleted"});
    m.KeepRest(&e);
    return e;
  }

  // One row of the CSV report export (keys are the header's column names).
  static Result<std::vector<event::Event>> CsvRow(element row) {
    Fields r(row, "");
    std::optional<std::string> tid = r.Text("Id");
    if (!tid) tid = r.Text("ID");
    if (!tid) tid = r.Text("Ticket ID");
    if (!tid || tid->empty()) return r.Missing("Id");
    event::Ticket t;
    t.id = *tid;
    ASSIGN_OR_RETURN(t.status, MapStatus(r.Text("Status"), r.PointerTo("Status")));
    ASSIGN_OR_RETURN(t.priority, MapPriority(r.Text("Priority"), r.PointerTo("Priority")));
    if (t.priority && t.priority->empty()) t.priority.reset();
    if (auto via = r.Text("Via")) t.channel = Channel(*via);
    t.subject = r.Text("Subject");
    t.group = r.Text("Group");
    t.assignee = r.Text("Assignee");
    t.requester = r.Text("Requester id");
    if (!t.requester) t.requester = r.Text("Requester");
    t.organization = r.Text("Organization");
    if (auto tags = r.Text("Tags")) t.tags = SplitTags(*tags);
    auto time = [&](const char* col) -> Result<std::optional<TimeMicros>> {
      std::optional<std::string> v = r.Text(col);
      if (!v || v->empty()) return std::optional<TimeMicros>();
      Result<TimeMicros> at = ParseLooseTime(*v);
      if (!at.ok()) return r.Bad(col, at.status().message());
      return std::optional<TimeMicros>(*at);
    };
    ASSIGN_OR_RETURN(std::optional<TimeMicros> created, time("Created at"));
    ASSIGN_OR_RETURN(std::optional<TimeMicros> updated, time("Updated at"));
    if (!created) return r.Missing("Created at");
    std::vector<event::Event> out;
    event::Event c = NewEvent(*tid + ":created", "ticket.created", *created, "");
    c.ticket = event::Ticket{.id = *tid};
    c.ticket->subject = t.subject;
    c.ticket->requester = t.requester;
    c.ticket->channel = t.channel;
    out.push_back(std::move(c));
    const TimeMicros at = updated.value_or(*created);
    event::Event s =
        NewEvent(fmt::format("{}:snapshot@{}", *tid, Seconds(at)), "ticket.updated", at, "");
    SnapshotChanges(t, &s);
    s.ticket = std::move(t);
    r.AllKnown();
    r.KeepRest(&s);
    out.push_back(std::move(s));
    return out;
  }

  std::unique_ptr<Decoder> trigger_;
};

}  // namespace

MappingConfig ZendeskTriggerMapping() {
  MappingConfig m = TemplateMapping();
  // Zendesk template variables render statuses and priorities capitalised ("On-hold"), tags
  // space-separated, and an unset priority as "-".
  m.values = {{"ticket.status", {{"on-hold", "hold"}}},
              {"ticket.priority", {{"-", ""}}},
              {"ticket.channel", {{"web service", "api"}, {"web form", "web"}}}};
  return m;
}

Result<std::unique_ptr<Decoder>> MakeZendeskDecoder(const SourceConfig& source) {
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> trigger,
                   MakeMappingDecoder(source.mapping, ZendeskTriggerMapping()));
  return std::unique_ptr<Decoder>(new ZendeskDecoder(std::move(trigger)));
}

}  // namespace supportpipe::sources
