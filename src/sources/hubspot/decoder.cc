// HubSpot webhook events -> canonical events, one per array element, keyed by eventId.
#include <fmt/format.h>

#include "event/codec.h"
#include "sources/fields.h"
#include "sources/hubspot/hubspot.h"

namespace supportpipe::sources {
namespace {

// The default help-desk pipeline's stages: 1 New, 2 Waiting on contact, 3 Waiting on us,
// 4 Closed.
Result<std::string> Stage(const std::string& v, const std::string& ptr) {
  const std::string s = Lower(v);
  if (s == "1" || s == "new") return std::string("new");
  if (s == "2" || s == "waiting on contact") return std::string("pending");
  if (s == "3" || s == "waiting on us") return std::string("open");
  if (s == "4" || s == "closed") return std::string("closed");
  return Unmapped(ptr, "pipeline stage", v);
}

Result<std::string> Priority(const std::string& v, const std::string& ptr) {
  const std::string p = Lower(v);
  if (p == "low") return std::string("low");
  if (p == "medium") return std::string("normal");
  if (p == "high") return std::string("high");
  if (p == "urgent") return std::string("urgent");
  return Unmapped(ptr, "priority", v);
}

Result<std::optional<event::Event>> One(element item, const std::string& base) {
  Fields f(item, base);
  std::optional<std::string> id = f.Text("eventId");
  if (!id) return f.Missing("eventId");
  const std::string type = f.Text("subscriptionType").value_or("");
  std::optional<std::string> object = f.Text("objectId");
  if (!object) return f.Missing("objectId");
  ASSIGN_OR_RETURN(std::optional<TimeMicros> at, f.Time("occurredAt"));
  if (!at) return f.Missing("occurredAt");
  f.Known({"subscriptionId", "portalId", "appId", "attemptNumber", "changeSource", "changeFlag",
           "sourceId"});
  event::Event e = NewEvent(*id, "", *at, "");
  if (type == "ticket.creation") {
    e = NewEvent(*object + ":created", "ticket.created", *at, *object);
    e.attributes.emplace_back("hubspot_event_id", event::JsonQuote(*id));
  } else if (type == "ticket.deletion") {
    e.type = "ticket.deleted";
    e.ticket.emplace().id = *object;
  } else if (type == "ticket.propertyChange") {
    e.ticket.emplace().id = *object;
    const std::string prop = f.Text("propertyName").value_or("");
    const std::optional<std::string> value = f.Text("propertyValue");
    const std::string ptr = f.PointerTo("propertyValue");
    e.type = "ticket.updated";
    if (prop == "hs_pipeline_stage" && value) {
      ASSIGN_OR_RETURN(std::string s, Stage(*value, ptr));
      e.type = "ticket.status_changed";
      e.changes.push_back(TextChange("status", std::nullopt, s));
    } else if (prop == "hs_ticket_priority" && value) {
      ASSIGN_OR_RETURN(std::string p, Priority(*value, ptr));
      e.type = "ticket.priority_changed";
      e.changes.push_back(TextChange("priority", std::nullopt, p));
    } else if (prop == "hubspot_owner_id") {
      e.type = "ticket.assigned";
      e.changes.push_back(TextChange("assignee", std::nullopt, value));
    } else if (prop == "subject") {
      e.ticket->subject = value;
    } else if (prop == "hs_ticket_category") {
      e.changes.push_back(TextChange("category", std::nullopt, value));
    } else {
      e.changes.push_back(TextChange(prop, std::nullopt, value));
    }
  } else if (type == "conversation.creation") {
    e = NewEvent(*object + ":created", "ticket.created", *at, *object);
    e.ticket->channel = "chat";
    e.attributes.emplace_back("hubspot_event_id", event::JsonQuote(*id));
  } else if (type == "conversation.deletion") {
    e.type = "ticket.deleted";
    e.ticket.emplace().id = *object;
  } else if (type == "conversation.newMessage") {
    e.type = "message.created";
    e.ticket.emplace().id = *object;
    auto& m = e.message.emplace();
    m.id = f.Text("messageId");
    if (m.id) e.id = "message:" + *m.id;
    const std::string kind = f.Text("messageType").value_or("MESSAGE");
    // A comment is an agents' internal note. For a message the webhook does not say who
    // wrote it, so it is recorded as "system" rather than guessed (docs/sources/hubspot.md).
    m.author_role = kind == "COMMENT" ? "agent" : "system";
    m.is_public = kind != "COMMENT";
  } else if (type == "conversation.propertyChange") {
    e.ticket.emplace().id = *object;
    const std::string prop = f.Text("propertyName").value_or("");
    const std::optional<std::string> value = f.Text("propertyValue");
    e.type = "ticket.updated";
    if (prop == "status" && value) {
      e.type = "ticket.status_changed";
      const std::string v = Lower(*value);
      e.changes.push_back(
          TextChange("status", std::nullopt, std::string(v == "closed" ? "solved" : "open")));
    } else if (prop == "assignedTo") {
      e.type = "ticket.assigned";
      e.changes.push_back(TextChange("assignee", std::nullopt, value));
    } else {
      e.changes.push_back(TextChange(prop, std::nullopt, value));
    }
  } else if (type == "contact.creation" || type == "contact.propertyChange") {
    e.type = "customer.upserted";
    auto& c = e.customer.emplace();
    c.id = *object;
    const std::string prop = f.Text("propertyName").value_or("");
    const std::optional<std::string> value = f.Text("propertyValue");
    if (prop == "email") c.email = value;
    if (prop == "phone") c.phone = value;
    if (prop == "company") c.organization = value;
    if (!prop.empty() && prop != "email" && prop != "phone" && prop != "company") {
      e.attributes.emplace_back("hubspot_property", event::JsonQuote(prop));
      e.attributes.emplace_back("hubspot_value", value ? event::JsonQuote(*value) : "null");
    }
  } else {
    f.KeepRest(&e);
    return std::optional<event::Event>();  // deals, companies...: no support fact
  }
  e.attributes.emplace_back("hubspot_subscription", event::JsonQuote(type));
  f.KeepRest(&e);
  return std::optional<event::Event>(std::move(e));
}

class HubSpotDecoder final : public Decoder {
 public:
  Decoded Decode(const Delivery& d) const override {
    return DecodeItems(
        d.body, "", [](element item, const std::string& base) -> Result<std::vector<event::Event>> {
          ASSIGN_OR_RETURN(std::optional<event::Event> e, One(item, base));
          std::vector<event::Event> out;
          if (e) out.push_back(std::move(*e));
          return out;
        });
  }
};

}  // namespace

std::unique_ptr<Decoder> MakeHubSpotDecoder() { return std::make_unique<HubSpotDecoder>(); }

}  // namespace supportpipe::sources
