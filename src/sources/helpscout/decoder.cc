// Help Scout webhooks -> canonical events. The event name is in X-HelpScout-Event; the
// body is the conversation (threads newest first), a satisfaction rating, or a customer.
#include <fmt/format.h>

#include "event/codec.h"
#include "sources/fields.h"
#include "sources/helpscout/helpscout.h"

namespace supportpipe::sources {
namespace {

Result<std::optional<std::string>> MapStatus(const std::optional<std::string>& s,
                                             const std::string& ptr) {
  if (!s) return std::optional<std::string>();
  if (*s == "active") return std::optional<std::string>("open");
  if (*s == "pending") return std::optional<std::string>("pending");
  if (*s == "closed") return std::optional<std::string>("solved");
  if (*s == "spam") return std::optional<std::string>("deleted");
  return Unmapped(ptr, "status", *s);
}

// A person's id: Help Scout writes {id, email, first, last} objects.
std::optional<std::string> PersonId(Fields& parent, std::string_view key) {
  Fields p = parent.Object(key);
  p.Known({"email", "first", "last", "type", "photoUrl", "firstName", "lastName", "phone"});
  return p.Text("id");
}

Result<std::vector<event::Event>> Conversation(element root, std::string_view name) {
  Fields c(root, "");
  std::optional<std::string> id = c.Text("id");
  if (!id) return c.Missing("id");
  event::Ticket t;
  t.id = *id;
  t.subject = c.Text("subject");
  ASSIGN_OR_RETURN(std::optional<std::string> status,
                   MapStatus(c.Text("status"), c.PointerTo("status")));
  t.assignee = PersonId(c, "assignee");
  if (!t.assignee) t.assignee = PersonId(c, "owner");
  t.requester = PersonId(c, "customer");
  if (!t.requester) t.requester = PersonId(c, "primaryCustomer");
  t.group = c.Text("mailboxId");
  t.tags = StringsOf(c.Array("tags"), "tag");
  Fields source = c.Object("source");
  t.channel = source.Text("type");
  source.Known({"via"});
  ASSIGN_OR_RETURN(std::optional<TimeMicros> created, c.Time("createdAt"));
  ASSIGN_OR_RETURN(std::optional<TimeMicros> updated, c.Time("userUpdatedAt"));
  if (!updated) {
    ASSIGN_OR_RETURN(updated, c.Time("modifiedAt"));
  }
  c.Known({"number",       "type",
           "folderId",     "isDraft",
           "state",        "preview",
           "createdBy",    "closedAt",
           "closedBy",     "closedByUser",
           "cc",           "bcc",
           "customFields", "customerWaitingSince",
           "threadCount",  "_links",
           "_embedded",    "mailbox",
           "threads",      "modifiedAt"});
  const std::optional<TimeMicros> at = updated ? updated : created;
  if (!at) return c.Missing("userUpdatedAt");

  std::vector<event::Event> out;
  if (created) {
    event::Event e = NewEvent(*id + ":created", "ticket.created", *created, "");
    e.ticket = t;
    e.ticket->status = "new";
    e.sequence = 0;  // before the change stated at the same instant
    out.push_back(std::move(e));
  }
  // Threads: every customer reply, agent reply and note in the payload is a message.
  element threads;
  std::vector<element> list;
  if (!root["threads"].get(threads) || !root["_embedded"]["threads"].get(threads)) {
    list = Elements(threads);
  }
  for (size_t i = 0; i < list.size(); ++i) {
    Fields th(list[i], fmt::format("/threads/{}", i));
    const std::string type = th.Text("type").value_or("");
    if (type != "customer" && type != "message" && type != "note" && type != "reply" &&
        type != "chat" && type != "phone") {
      continue;  // lineitems (status and assignment history) are covered by the snapshot
    }
    std::optional<std::string> tid = th.Text("id");
    if (!tid) return th.Missing("id");
    ASSIGN_OR_RETURN(std::optional<TimeMicros> when, th.Time("createdAt"));
    if (!when) return th.Missing("createdAt");
    event::Event e = NewEvent("thread:" + *tid, "message.created", *when, "");
    auto& m = e.message.emplace();
    m.id = tid;
    m.body = th.Text("body");
    Fields by = th.Object("createdBy");
    m.author = by.Text("id");
    const std::string by_type = by.Text("type").value_or(type == "customer" ? "customer" : "user");
    m.author_role = type == "note" ? "agent" : by_type == "customer" ? "customer" : "agent";
    m.is_public = type != "note";
    e.ticket = t;
    out.push_back(std::move(e));
  }
  // The change this event announces, stated at the conversation's update time.
  event::Event e = NewEvent("", "ticket.updated", *at, "");
  if (name == "convo.status" && status) {
    e.type = "ticket.status_changed";
    e.changes.push_back(TextChange("status", std::nullopt, status));
  } else if (name == "convo.assigned") {
    e.type = "ticket.assigned";
    e.changes.push_back(TextChange("assignee", std::nullopt, t.assignee));
  } else if (name == "convo.moved") {
    e.type = "ticket.assigned";
    e.changes.push_back(TextChange("group", std::nullopt, t.group));
  } else if (name == "convo.tags") {
    e.type = "ticket.tags_changed";
    e.changes.push_back(ListChange("tags", t.tags.value_or(std::vector<std::string>())));
  } else if (name == "convo.deleted") {
    e.type = "ticket.deleted";
  } else if (status) {
    e.changes.push_back(TextChange("status", std::nullopt, status));
  }
  e.id = fmt::format("{}:{}@{}", *id, name.empty() ? "update" : name, Seconds(*at));
  e.sequence = 1;
  e.ticket = t;
  e.attributes.emplace_back("helpscout_event", event::JsonQuote(name));
  c.KeepRest(&e);
  out.push_back(std::move(e));
  return out;
}

Result<std::vector<event::Event>> Rating(element root) {
  Fields r(root, "");
  std::optional<std::string> id = r.Text("id");
  std::optional<std::string> cid = r.Text("conversationId");
  if (!id) return r.Missing("id");
  if (!cid) return r.Missing("conversationId");
  ASSIGN_OR_RETURN(std::optional<TimeMicros> at, r.Time("createdAt"));
  if (!at) return r.Missing("createdAt");
  const std::string rating = Lower(r.Text("rating").value_or(""));
  event::Event e = NewEvent("rating:" + *id, "csat.submitted", *at, *cid);
  auto& c = e.csat.emplace();
  if (rating == "great") {
    c.rating = "5";
  } else if (rating == "okay") {
    c.rating = "3";
  } else if (rating == "not good") {
    c.rating = "1";
  } else {
    return Unmapped(r.PointerTo("rating"), "rating", rating);
  }
  c.comment = r.Text("comments");
  r.Known({"threadId", "customer", "user", "mailboxId", "modifiedAt", "threadCreatedAt"});
  r.KeepRest(&e);
  return std::vector<event::Event>{std::move(e)};
}

class HelpScoutDecoder final : public Decoder {
 public:
  Decoded Decode(const Delivery& d) const override {
    const std::string name = StoredHeader(d.headers, "x-helpscout-event");
    return DecodeEach(d.body, [&](element root) -> Result<std::vector<event::Event>> {
      if (name == "satisfaction.ratings") return Rating(root);
      if (name.rfind("customer.", 0) == 0 || name.rfind("tag.", 0) == 0) {
        return std::vector<event::Event>();  // no support fact
      }
      return Conversation(root, name);
    });
  }
};

}  // namespace

std::unique_ptr<Decoder> MakeHelpScoutDecoder() { return std::make_unique<HelpScoutDecoder>(); }

}  // namespace supportpipe::sources
