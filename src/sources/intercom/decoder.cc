// Intercom conversations -> canonical events. A notification carries the conversation
// with its newest parts; an export carries all of them. Both go through the same
// reading of parts, so their event ids agree ("part:<id>", "<conversation>:created").
#include <fmt/format.h>

#include "event/codec.h"
#include "sources/fields.h"
#include "sources/intercom/intercom.h"

namespace supportpipe::sources {
namespace {

std::string Role(std::string_view author_type) {
  if (author_type == "admin" || author_type == "team") return "agent";
  if (author_type == "bot") return "system";
  return "customer";  // user, lead, contact
}

Result<std::optional<std::string>> State(const std::optional<std::string>& s, const Fields& f) {
  if (!s) return std::optional<std::string>();
  if (*s == "open") return std::optional<std::string>("open");
  if (*s == "snoozed") return std::optional<std::string>("hold");
  if (*s == "closed") return std::optional<std::string>("solved");
  return Unmapped(f.PointerTo("state"), "state", *s);
}

struct Conversation {
  event::Ticket ticket;               // the state as of this payload
  std::optional<std::string> status;  // canonical
  std::vector<event::Event> events;   // from the creation and the parts
};

// Reads a conversation; `creation` adds ticket.created and the opening message.
Result<Conversation> ReadConversation(Fields& c, bool creation) {
  std::optional<std::string> cid = c.Text("id");
  if (!cid) return c.Missing("id");
  ASSIGN_OR_RETURN(std::optional<TimeMicros> created, c.Time("created_at"));
  event::Ticket t;
  t.id = *cid;
  ASSIGN_OR_RETURN(std::optional<std::string> state, State(c.Text("state"), c));
  if (std::optional<std::string> p = c.Text("priority")) {
    t.priority = *p == "priority" ? "high" : "normal";
  }
  t.assignee = c.Text("admin_assignee_id");
  t.group = c.Text("team_assignee_id");
  Fields tags = c.Object("tags");
  if (tags.valid()) {
    t.tags = StringsOf(tags.Array("tags"), "name");
    tags.Known({"type"});
  }
  Fields source = c.Object("source");
  t.subject = source.Text("subject");
  if (t.subject && t.subject->empty()) t.subject.reset();
  source.Known({"delivered_as"});
  const std::optional<std::string> source_type = source.Text("type");
  t.channel = source_type == "email" ? "email"
              : source_type          ? "chat"
                                     : std::optional<std::string>();
  Fields contacts = c.Object("contacts");
  std::vector<element> people = contacts.Array("contacts");
  if (!people.empty()) {
    std::vector<std::string> ids = StringsOf(people, "id");
    if (!ids.empty()) t.requester = ids[0];
  }
  contacts.Known({"type"});
  c.Known({"type",
           "title",
           "updated_at",
           "waiting_since",
           "snoozed_until",
           "open",
           "read",
           "statistics",
           "conversation_rating",
           "custom_attributes",
           "sla_applied",
           "teammates",
           "first_contact_reply",
           "topics",
           "linked_objects",
           "ai_agent",
           "ai_agent_participated",
           "ticket",
           "admin_assignee",
           "team_assignee"});

  std::vector<event::Event> out;
  auto with_ticket = [&](event::Event e) {
    e.ticket = t;
    return e;
  };
  if (creation) {
    if (!created) return c.Missing("created_at");
    event::Event e = with_ticket(NewEvent(*cid + ":created", "ticket.created", *created, ""));
    e.ticket->status = "new";
    out.push_back(std::move(e));
    std::optional<std::string> sid = source.Text("id");
    std::optional<std::string> body = source.Text("body");
    if (sid && body) {
      event::Event m = with_ticket(NewEvent("source:" + *sid, "message.created", *created, ""));
      auto& msg = m.message.emplace();
      msg.id = sid;
      msg.body = body;
      Fields author = source.Object("author");
      msg.author = author.Text("id");
      msg.author_role = Role(author.Text("type").value_or("user"));
      author.Known({"name", "email"});
      msg.channel = t.channel;
      out.push_back(std::move(m));
    }
  }
  source.Known({"attachments", "url", "redacted", "author"});

  Fields parts = c.Object("conversation_parts");
  std::vector<element> list = parts.Array("conversation_parts");
  parts.Known({"type", "total_count"});
  for (size_t i = 0; i < list.size(); ++i) {
    Fields p(list[i], fmt::format("{}/{}", parts.PointerTo("conversation_parts"), i), "");
    std::optional<std::string> pid = p.Text("id");
    if (!pid) return p.Missing("id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> at, p.Time("created_at"));
    if (!at) return p.Missing("created_at");
    const std::string type = p.Text("part_type").value_or("");
    Fields author = p.Object("author");
    const std::string role = Role(author.Text("type").value_or("user"));
    std::optional<std::string> body = p.Text("body");
    const std::string id = "part:" + *pid;
    auto status = [&](const char* to) {
      event::Event e = with_ticket(NewEvent(id, "ticket.status_changed", *at, ""));
      e.changes.push_back(TextChange("status", std::nullopt, std::string(to)));
      out.push_back(std::move(e));
    };
    if (type == "comment" || type == "note") {
      event::Event e = with_ticket(NewEvent(id, "message.created", *at, ""));
      auto& m = e.message.emplace();
      m.id = pid;
      m.body = body;
      m.author = author.Text("id");
      m.author_role = type == "note" ? "agent" : role;
      m.is_public = type == "comment";
      m.channel = t.channel;
      out.push_back(std::move(e));
    } else if (type == "close") {
      status("solved");
    } else if (type == "open" || type == "unsnoozed" || type == "timer_unsnooze") {
      status("open");
    } else if (type == "snoozed") {
      status("hold");
    } else if (type == "assignment" || type == "default_assignment" ||
               type == "assign_and_reopen" || type == "away_mode_assignment") {
      Fields to = p.Object("assigned_to");
      const std::string to_type = to.Text("type").value_or("admin");
      event::Event e = with_ticket(NewEvent(id, "ticket.assigned", *at, ""));
      e.changes.push_back(
          TextChange(to_type == "team" ? "group" : "assignee", std::nullopt, to.Text("id")));
      out.push_back(std::move(e));
      if (type == "assign_and_reopen") {
        event::Event s = with_ticket(NewEvent(id + ":open", "ticket.status_changed", *at, ""));
        s.changes.push_back(TextChange("status", std::nullopt, std::string("open")));
        out.push_back(std::move(s));
      }
    }
  }
  return Conversation{std::move(t), std::move(state), std::move(out)};
}

Result<event::Event> Rating(Fields& c, const std::string& cid) {
  Fields r = c.Object("conversation_rating");
  std::optional<int64_t> rating = r.Int("rating");
  if (!rating) return InvalidArgument("is required", r.PointerTo("rating"));
  if (*rating < 1 || *rating > 5) return r.Bad("rating", "must be 1 to 5");
  ASSIGN_OR_RETURN(std::optional<TimeMicros> at, r.Time("created_at"));
  if (!at) return r.Missing("created_at");
  event::Event e =
      NewEvent(fmt::format("{}:csat@{}", cid, Seconds(*at)), "csat.submitted", *at, cid);
  auto& csat = e.csat.emplace();
  csat.rating = std::to_string(*rating);
  csat.comment = r.Text("remark");
  r.Known({"contact", "teammate"});
  r.KeepRest(&e);
  return e;
}

class IntercomDecoder final : public Decoder {
 public:
  Decoded Decode(const Delivery& d) const override {
    return DecodeEach(d.body, d.kind == "export:intercom" ? Export : Notification);
  }

 private:
  static Result<std::vector<event::Event>> Export(element root) {
    Fields c(root, "");
    ASSIGN_OR_RETURN(Conversation conv, ReadConversation(c, true));
    std::vector<event::Event> out = std::move(conv.events);
    element r;
    if (!root["conversation_rating"].get(r) && r.is_object()) {
      ASSIGN_OR_RETURN(event::Event e, Rating(c, conv.ticket.id));
      out.push_back(std::move(e));
    }
    if (!out.empty()) c.KeepRest(&out[0]);
    return out;
  }

  static Result<std::vector<event::Event>> Notification(element root) {
    Fields n(root, "");
    const std::string topic = n.Text("topic").value_or("");
    std::optional<std::string> nid = n.Text("id");
    if (!nid) return n.Missing("id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> at, n.Time("created_at"));
    if (!at) return n.Missing("created_at");
    n.Known({"type", "app_id", "delivery_status", "delivery_attempts", "delivered_at",
             "first_sent_at", "self", "links"});
    Fields data = n.Object("data");
    data.Known({"type"});
    Fields item = data.Object("item");
    if (!item.valid()) return InvalidArgument("is required", "/data/item");
    std::vector<event::Event> out;
    if (topic.rfind("conversation", 0) != 0) {
      return out;  // contact, company and ticket-object topics carry no conversation fact
    }
    const bool creation = topic == "conversation.user.created" ||
                          topic == "conversation.admin.single.created" ||
                          topic == "conversation.admin.open.created";
    ASSIGN_OR_RETURN(Conversation conv, ReadConversation(item, creation));
    out = std::move(conv.events);
    if (topic == "conversation.rating.added") {
      ASSIGN_OR_RETURN(event::Event e, Rating(item, conv.ticket.id));
      out.push_back(std::move(e));
    } else if (topic == "conversation.priority.updated" ||
               topic == "conversation_part.tag.created" || out.empty()) {
      // A change with no part of its own: the snapshot, keyed by the notification.
      event::Event e = NewEvent(*nid, "ticket.updated", *at, "");
      if (topic == "conversation.priority.updated" && conv.ticket.priority) {
        e.type = "ticket.priority_changed";
        e.changes.push_back(TextChange("priority", std::nullopt, conv.ticket.priority));
      } else if (topic == "conversation_part.tag.created") {
        e.type = "ticket.tags_changed";
        e.changes.push_back(
            ListChange("tags", conv.ticket.tags.value_or(std::vector<std::string>())));
      } else if (conv.status) {
        e.changes.push_back(TextChange("status", std::nullopt, conv.status));
      }
      e.ticket = conv.ticket;
      out.push_back(std::move(e));
    }
    for (auto& e : out) e.attributes.emplace_back("intercom_topic", event::JsonQuote(topic));
    if (!out.empty()) {
      item.KeepRest(&out[0]);
      n.KeepRest(&out[0]);
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Decoder> MakeIntercomDecoder() { return std::make_unique<IntercomDecoder>(); }

}  // namespace supportpipe::sources
