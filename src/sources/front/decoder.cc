// Front events -> canonical events. Every event carries its conversation, whose
// created_at gives the ticket's creation; that ticket.created ("<cnv>:created") is emitted
// with each event and de-duplicated, so the creation is right whatever arrives first.
#include <fmt/format.h>

#include "event/codec.h"
#include "sources/fields.h"
#include "sources/front/front.h"

namespace supportpipe::sources {
namespace {

std::optional<std::string> ConversationStatus(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  if (*s == "archived") return "solved";
  if (*s == "deleted") return "deleted";
  if (*s == "spam") return "deleted";
  return "open";  // unassigned, assigned, open
}

Result<std::vector<event::Event>> FrontEvent(element root) {
  Fields f(root, "");
  std::optional<std::string> id = f.Text("id");
  if (!id) return f.Missing("id");
  const std::string type = f.Text("type").value_or("");
  ASSIGN_OR_RETURN(std::optional<TimeMicros> at, f.Time("emitted_at"));
  if (!at) return f.Missing("emitted_at");
  f.Known({"_links", "source"});
  Fields c = f.Object("conversation");
  std::optional<std::string> cid = c.Text("id");
  if (!cid) return InvalidArgument("is required", "/conversation/id");
  event::Ticket t;
  t.id = *cid;
  t.subject = c.Text("subject");
  const std::optional<std::string> status = ConversationStatus(c.Text("status"));
  Fields assignee = c.Object("assignee");
  t.assignee = assignee.Text("id");
  assignee.Known({"email", "username", "first_name", "last_name", "is_admin", "is_available",
                  "is_blocked", "_links", "custom_fields", "type"});
  t.tags = StringsOf(c.Array("tags"), "name");
  Fields recipient = c.Object("recipient");
  t.requester = recipient.Text("handle");
  recipient.Known({"role", "_links", "name"});
  ASSIGN_OR_RETURN(std::optional<TimeMicros> created, c.Time("created_at"));
  c.Known({"_links", "is_private", "scheduled_reminders", "metadata", "links", "custom_fields",
           "status_id", "status_category", "ticket_ids", "waiting_since", "inboxes"});

  std::vector<event::Event> out;
  if (created) {
    event::Event e = NewEvent(*cid + ":created", "ticket.created", *created, "");
    e.ticket = t;
    e.ticket->status = "new";
    out.push_back(std::move(e));
  }
  Fields target = f.Object("target");
  Fields data = target.Object("data");
  target.Known({"_meta"});
  event::Event e = NewEvent(*id, "ticket.updated", *at, "");
  if (type == "inbound" || type == "outbound" || type == "out_reply" || type == "comment") {
    std::optional<std::string> mid = data.Text("id");
    if (!mid) return InvalidArgument("is required", "/target/data/id");
    e.type = "message.created";
    e.id = "message:" + *mid;
    auto& m = e.message.emplace();
    m.id = mid;
    m.body = data.Text("text");
    if (!m.body) m.body = data.Text("body");
    data.Take("body");
    m.author_role = type == "inbound" ? "customer" : "agent";
    m.is_public = type != "comment";
    Fields author = data.Object("author");
    m.author = author.Text("id");
    author.Known({"email", "username", "first_name", "last_name", "is_admin", "is_available",
                  "is_blocked", "_links", "custom_fields", "type"});
    if (std::optional<std::string> ch = data.Text("type"))
      m.channel = *ch == "custom" ? "api" : *ch;
    data.Known({"_links", "blurb", "is_inbound", "is_draft", "draft_mode", "error_type", "version",
                "created_at", "subject", "recipients", "attachments", "signature", "metadata",
                "posted_at", "is_pinned"});
  } else if (type == "assign" || type == "unassign") {
    e.type = "ticket.assigned";
    e.changes.push_back(
        TextChange("assignee", std::nullopt, type == "assign" ? data.Text("id") : std::nullopt));
  } else if (type == "tag" || type == "untag") {
    e.type = "ticket.tags_changed";
    e.changes.push_back(ListChange("tags", t.tags.value_or(std::vector<std::string>())));
  } else if (type == "archive") {
    e.type = "ticket.status_changed";
    e.changes.push_back(TextChange("status", std::nullopt, std::string("solved")));
  } else if (type == "reopen" || type == "restore" || type == "reminder") {
    e.type = "ticket.status_changed";
    e.changes.push_back(TextChange("status", std::nullopt, std::string("open")));
  } else if (type == "trash") {
    e.type = "ticket.deleted";
  } else if (status) {
    e.changes.push_back(TextChange("status", std::nullopt, status));
  }
  e.ticket = t;
  e.attributes.emplace_back("front_event_type", event::JsonQuote(type));
  e.attributes.emplace_back("front_event_id", event::JsonQuote(*id));
  data.KeepRest(&e);
  c.KeepRest(&e);
  f.KeepRest(&e);
  out.push_back(std::move(e));
  return out;
}

class FrontDecoder final : public Decoder {
 public:
  Decoded Decode(const Delivery& d) const override { return DecodeEach(d.body, FrontEvent); }
};

}  // namespace

std::unique_ptr<Decoder> MakeFrontDecoder() { return std::make_unique<FrontDecoder>(); }

}  // namespace supportpipe::sources
