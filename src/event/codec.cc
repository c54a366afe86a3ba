#include "event/codec.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace supportpipe::event {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr TimeMicros kMaxFuture = 24LL * 3600 * 1000000;
constexpr size_t kMaxIdBytes = 512;

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string PointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// A JSON pointer described by parts and rendered only when an error needs it: valid events
// (the common case) never pay for building pointer strings.
struct Ptr {
  Ptr(const char* full) : prefix(full) {}         // NOLINT: implicit from a whole pointer
  Ptr(const std::string& full) : prefix(full) {}  // NOLINT
  Ptr(std::string_view p, std::string_view k, std::string_view s = {})
      : prefix(p), key(k), suffix(s) {}
  Ptr With(std::string_view s) const { return Ptr(prefix, key, s); }
  std::string str() const { return std::string(prefix) + PointerToken(key) + std::string(suffix); }

  std::string_view prefix, key, suffix;
};

Status Bad(const Ptr& p, std::string msg) { return InvalidArgument(std::move(msg), p.str()); }

Status ParseError(simdjson::error_code err) {
  switch (err) {
    case simdjson::UTF8_ERROR:
      return Bad("", "invalid UTF-8 in the event");
    case simdjson::TRAILING_CONTENT:
      return Bad("", "more than one JSON value where one event was expected");
    case simdjson::EMPTY:
      return Bad("", "empty event");
    default:
      return Bad("", fmt::format("not valid JSON: {}", simdjson::error_message(err)));
  }
}

// Reads an id-like value: a non-empty string, or an integer written as a string.
Result<std::string> IdValue(element v, const Ptr& ptr) {
  std::string out;
  switch (v.type()) {
    case element_type::STRING:
      out = std::string(v.get_string().value());
      break;
    case element_type::INT64:
      out = std::to_string(v.get_int64().value());
      break;
    case element_type::UINT64:
      out = std::to_string(v.get_uint64().value());
      break;
    default:
      return Bad(ptr, "must be a string (or an integer id)");
  }
  if (out.empty()) return Bad(ptr, "must not be empty");
  if (out.size() > kMaxIdBytes) return Bad(ptr, "is longer than 512 bytes");
  return out;
}

// A text value; null means absent.
Status TextValue(element v, const Ptr& ptr, std::optional<std::string>* out) {
  switch (v.type()) {
    case element_type::NULL_VALUE:
      out->reset();
      return Status::Ok();
    case element_type::STRING:
      *out = std::string(v.get_string().value());
      return Status::Ok();
    case element_type::INT64:
      *out = std::to_string(v.get_int64().value());
      return Status::Ok();
    case element_type::UINT64:
      *out = std::to_string(v.get_uint64().value());
      return Status::Ok();
    default:
      return Bad(ptr, "must be a string");
  }
}

Status StringList(element v, const Ptr& ptr, std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (v.get_array().get(arr)) return Bad(ptr, "must be an array of strings");
  size_t i = 0;
  for (element item : arr) {
    std::string_view s;
    if (item.get_string().get(s))
      return Bad(fmt::format("{}/{}", ptr.str(), i), "must be a string");
    out->emplace_back(s);
    ++i;
  }
  return Status::Ok();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status NormaliseStatus(std::optional<std::string>* s, const Ptr& ptr) {
  if (!*s) return Status::Ok();
  **s = Lower(**s);
  if (!IsStatus(**s)) {
    return Bad(ptr,
               "must be one of new, open, pending, hold, solved, closed, deleted (put the "
               "producer's own word in attributes.vendor_status)");
  }
  return Status::Ok();
}

Status NormalisePriority(std::optional<std::string>* s, const Ptr& ptr) {
  if (!*s) return Status::Ok();
  **s = Lower(**s);
  if (!IsPriority(**s)) return Bad(ptr, "must be one of low, normal, high, urgent");
  return Status::Ok();
}

}  // namespace

Status CheckEvent(Event* event, const DecodeOptions& opt) {
  Event& e = *event;
  const std::string& t = e.type;
  if (IsDerivedType(t)) {
    if (!opt.trusted) return Bad("/type", fmt::format("\"{}\" is emitted by supportpipe only", t));
  } else if (!IsProducerType(t)) {
    return Bad("/type", fmt::format("unknown event type \"{}\"", t));
  }
  // Our own stored forms were checked on the way in, and may be partial on purpose
  // (the warehouse keeps only a ticket's part of each event).
  if (opt.trusted) return Status::Ok();
  if (e.occurred_at > opt.now + kMaxFuture) {
    return Bad("/occurred_at", "is more than 24 h ahead of the server clock");
  }
  const bool ticket_scoped = t.rfind("ticket.", 0) == 0 || t.rfind("message.", 0) == 0 ||
                             t.rfind("csat.", 0) == 0 || t.rfind("sla.", 0) == 0;
  if (ticket_scoped && !e.ticket) return Bad("/ticket/id", fmt::format("is required for {}", t));
  if (t == "customer.upserted" && (!e.customer || e.customer->id.empty())) {
    return Bad("/customer/id", "is required for customer.upserted");
  }
  if (t == "agent.upserted" && (!e.agent || e.agent->id.empty())) {
    return Bad("/agent/id", "is required for agent.upserted");
  }
  if (e.customer && e.customer->id.empty()) return Bad("/customer/id", "is required");
  if (e.agent && e.agent->id.empty()) return Bad("/agent/id", "is required");
  if (t == "message.created") {
    if (!e.message) return Bad("/message", "is required for message.created");
    if (!e.message->author_role) {
      return Bad("/message/author_role", "is required (customer, agent or system)");
    }
  }
  if (const std::string_view kind = ContextKind(t); !kind.empty()) {
    if (!e.customer || e.customer->id.empty()) {
      return Bad("/customer/id", fmt::format("is required for {}", t));
    }
    if (!e.context || e.context->kind != kind || e.context->id.empty()) {
      return Bad(fmt::format("/{}/id", kind), fmt::format("is required for {}", t));
    }
    Context& c = *e.context;
    if (c.currency) {
      for (char& ch : *c.currency) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      if (c.currency->size() != 3 ||
          c.currency->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
        return Bad(fmt::format("/{}/currency", kind),
                   "must be an ISO 4217 code of three letters, e.g. EUR");
      }
    }
    if (c.amount && !c.currency) {
      return Bad(fmt::format("/{}/currency", kind), "is required with an amount");
    }
    if (c.items && *c.items < 0) return Bad(fmt::format("/{}/items", kind), "must be >= 0");
  } else if (e.context) {
    return Bad("/" + e.context->kind,
               fmt::format("belongs to a context event (order.*, return.requested, "
                           "subscription.changed, account.changed), not {}",
                           t));
  }
  if (t == "csat.submitted" && !e.csat)
    return Bad("/csat/rating", "is required for csat.submitted");
  if (t == "ticket.status_changed") {
    const Change* c = e.FindChange("status");
    if (!c || !c->to_text)
      return Bad("/changes/status/to", "is required for ticket.status_changed");
  }
  if (t == "ticket.priority_changed" && !e.FindChange("priority")) {
    return Bad("/changes/priority", "is required for ticket.priority_changed");
  }
  if (t == "ticket.tags_changed" && !e.FindChange("tags")) {
    return Bad("/changes/tags", "is required for ticket.tags_changed");
  }
  if (t == "ticket.assigned" && !e.FindChange("assignee") && !e.FindChange("group")) {
    return Bad("/changes/assignee", "ticket.assigned needs changes.assignee or changes.group");
  }
  if (t == "ticket.created" && e.ticket && !e.ticket->status) e.ticket->status = "new";
  return Status::Ok();
}

namespace {

class Decoder {
 public:
  Decoder(Event* e, const DecodeOptions& opt) : e_(*e), opt_(opt) {}

  Status Unknown(std::string key, element v) {
    e_.attributes.emplace_back(key, simdjson::minify(v));
    e_.drift.push_back(std::move(key));
    ++e_.drift_fields;
    return Status::Ok();
  }

  Status Ticket(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/ticket", "must be an object");
    auto& t = e_.ticket.emplace();
    bool has_id = false;
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/ticket/", k);
      element x = field.value;
      if (k == "id") {
        ASSIGN_OR_RETURN(t.id, IdValue(x, ptr));
        has_id = true;
      } else if (k == "status") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.status));
      } else if (k == "priority") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.priority));
      } else if (k == "channel") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.channel));
      } else if (k == "subject") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.subject));
      } else if (k == "group") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.group));
      } else if (k == "assignee") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.assignee));
      } else if (k == "requester") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.requester));
      } else if (k == "organization") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.organization));
      } else if (k == "brand") {
        RETURN_IF_ERROR(TextValue(x, ptr, &t.brand));
      } else if (k == "tags") {
        if (!x.is_null()) RETURN_IF_ERROR(StringList(x, ptr, &t.tags.emplace()));
      } else if (k == "custom_fields") {
        if (!x.is_null()) {
          if (!x.is_object()) return Bad(ptr, "must be an object");
          t.custom_fields = simdjson::minify(x);
        }
      } else {
        RETURN_IF_ERROR(Unknown("ticket." + std::string(k), x));
      }
    }
    if (!has_id) return Bad("/ticket/id", "is required");
    RETURN_IF_ERROR(NormaliseStatus(&t.status, "/ticket/status"));
    return NormalisePriority(&t.priority, "/ticket/priority");
  }

  Status Changes(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/changes", "must be an object");
    for (auto field : obj) {
      const Ptr ptr("/changes/", field.key);
      object fv;
      if (element(field.value).get_object().get(fv)) {
        return Bad(ptr, "must be an object {\"from\": ..., \"to\": ...}");
      }
      Change c;
      c.field = std::string(field.key);
      for (auto part : fv) {
        element x = part.value;
        if (part.key == "from") {
          c.from_json = simdjson::minify(x);
        } else if (part.key == "to") {
          c.to_json = simdjson::minify(x);
          if (x.is_array()) {
            RETURN_IF_ERROR(StringList(x, ptr.With("/to"), &c.to_list.emplace()));
          } else if (!x.is_null()) {
            if (x.is_string() || x.is_int64() || x.is_uint64()) {
              RETURN_IF_ERROR(TextValue(x, ptr.With("/to"), &c.to_text));
            }
          }
        } else {
          return Bad(ptr.str() + "/" + PointerToken(part.key), "unknown member (only from and to)");
        }
      }
      if (c.field == "status") {
        if (c.to_text) RETURN_IF_ERROR(NormaliseStatus(&c.to_text, ptr.With("/to")));
        if (c.to_text) c.to_json = "\"" + *c.to_text + "\"";
      } else if (c.field == "priority") {
        if (c.to_text) RETURN_IF_ERROR(NormalisePriority(&c.to_text, ptr.With("/to")));
        if (c.to_text) c.to_json = "\"" + *c.to_text + "\"";
      } else if (c.field == "tags" && c.to_json != "null" && !c.to_list) {
        return Bad(ptr.With("/to"), "must be the full new list of tags");
      }
      e_.changes.push_back(std::move(c));
    }
    return Status::Ok();
  }

  Status Message(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/message", "must be an object");
    auto& m = e_.message.emplace();
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/message/", k);
      element x = field.value;
      if (k == "id") {
        ASSIGN_OR_RETURN(std::string id, IdValue(x, ptr));
        m.id = std::move(id);
      } else if (k == "author") {
        RETURN_IF_ERROR(TextValue(x, ptr, &m.author));
      } else if (k == "author_role") {
        RETURN_IF_ERROR(TextValue(x, ptr, &m.author_role));
        if (m.author_role) {
          *m.author_role = Lower(*m.author_role);
          if (*m.author_role != "customer" && *m.author_role != "agent" &&
              *m.author_role != "system") {
            return Bad(ptr, "must be one of customer, agent, system");
          }
        }
      } else if (k == "public") {
        if (!x.is_bool()) return Bad(ptr, "must be true or false");
        m.is_public = x.get_bool().value();
      } else if (k == "body") {
        RETURN_IF_ERROR(TextValue(x, ptr, &m.body));
      } else if (k == "channel") {
        RETURN_IF_ERROR(TextValue(x, ptr, &m.channel));
      } else {
        RETURN_IF_ERROR(Unknown("message." + std::string(k), x));
      }
    }
    return Status::Ok();
  }

  Status Customer(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/customer", "must be an object");
    auto& c = e_.customer.emplace();
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/customer/", k);
      element x = field.value;
      if (k == "id") {
        ASSIGN_OR_RETURN(c.id, IdValue(x, ptr));
      } else if (k == "email") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.email));
      } else if (k == "name") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.name));
      } else if (k == "phone") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.phone));
      } else if (k == "organization") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.organization));
      } else if (k == "tier") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.tier));
      } else if (k == "external_id") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.external_id));
      } else if (k == "email_verified") {
        if (!x.is_null()) {
          if (!x.is_bool()) return Bad(ptr, "must be true or false");
          c.email_verified = x.get_bool().value();
        }
      } else if (k == "consent") {
        if (!x.is_null()) RETURN_IF_ERROR(ConsentFlags(x, &c.consent));
      } else {
        RETURN_IF_ERROR(Unknown("customer." + std::string(k), x));
      }
    }
    return Status::Ok();
  }

  // {"marketing": false, "analytics": {"granted": true, "at": "2026-11-01T10:00:00Z"}}
  Status ConsentFlags(element v, std::vector<Consent>* out) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/customer/consent", "must be an object");
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/customer/consent/", k);
      element x = field.value;
      Consent c;
      c.purpose = Lower(k);
      if (c.purpose.empty() || c.purpose.size() > 64) return Bad(ptr, "needs a purpose name");
      if (x.is_bool()) {
        c.granted = x.get_bool().value();
      } else {
        object flag;
        if (x.get_object().get(flag)) {
          return Bad(ptr, "must be true, false or {\"granted\": bool, \"at\": time}");
        }
        bool has_granted = false;
        for (auto f : flag) {
          const std::string_view fk = f.key;
          element fx = f.value;
          if (fk == "granted" && fx.is_bool()) {
            c.granted = fx.get_bool().value();
            has_granted = true;
          } else if (fk == "at") {
            TimeMicros at = 0;
            RETURN_IF_ERROR(Time(fx, ptr.With("/at"), &at));
            c.at = at;
          } else {
            return Bad(ptr.With("/" + std::string(fk)), "is not granted or at");
          }
        }
        if (!has_granted) return Bad(ptr.With("/granted"), "is required (true or false)");
      }
      out->push_back(std::move(c));
    }
    return Status::Ok();
  }

  Status Agent(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/agent", "must be an object");
    auto& a = e_.agent.emplace();
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/agent/", k);
      element x = field.value;
      if (k == "id") {
        ASSIGN_OR_RETURN(a.id, IdValue(x, ptr));
      } else if (k == "name") {
        RETURN_IF_ERROR(TextValue(x, ptr, &a.name));
      } else if (k == "email") {
        RETURN_IF_ERROR(TextValue(x, ptr, &a.email));
      } else if (k == "group") {
        RETURN_IF_ERROR(TextValue(x, ptr, &a.group));
      } else {
        RETURN_IF_ERROR(Unknown("agent." + std::string(k), x));
      }
    }
    return Status::Ok();
  }

  Status Csat(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/csat", "must be an object");
    auto& c = e_.csat.emplace();
    bool has_rating = false;
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/csat/", k);
      element x = field.value;
      if (k == "rating") {
        has_rating = true;
        if (x.is_int64() || x.is_uint64()) {
          const int64_t r = x.is_int64() ? x.get_int64().value() : -1;
          if (r < 1 || r > 5) return Bad(ptr, "must be good, bad, or an integer from 1 to 5");
          c.rating = std::to_string(r);
        } else if (x.is_string()) {
          c.rating = Lower(x.get_string().value());
          if (c.rating != "good" && c.rating != "bad" &&
              !(c.rating.size() == 1 && c.rating[0] >= '1' && c.rating[0] <= '5')) {
            return Bad(ptr, "must be good, bad, or an integer from 1 to 5");
          }
        } else {
          return Bad(ptr, "must be good, bad, or an integer from 1 to 5");
        }
      } else if (k == "comment") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.comment));
      } else {
        RETURN_IF_ERROR(Unknown("csat." + std::string(k), x));
      }
    }
    if (!has_rating) return Bad("/csat/rating", "is required");
    return Status::Ok();
  }

  // order, return, subscription or account (`kind`): the context object of the event.
  Status Context(element v, std::string_view kind) {
    const std::string where = "/" + std::string(kind);
    object obj;
    if (v.get_object().get(obj)) return Bad(where, "must be an object");
    if (e_.context) {
      return Bad(where, fmt::format("an event carries one context object; it has /{} already",
                                    e_.context->kind));
    }
    auto& c = e_.context.emplace();
    c.kind = std::string(kind);
    bool has_id = false;
    const std::string prefix = where + "/";  // outlives every Ptr below
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr(prefix, k);
      element x = field.value;
      if (k == "id") {
        ASSIGN_OR_RETURN(c.id, IdValue(x, ptr));
        has_id = true;
      } else if (k == "status") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.status));
        if (c.status) *c.status = Lower(*c.status);
      } else if (k == "amount") {
        double amount = 0;
        if (x.is_string()) {
          const std::string_view text = x.get_string().value();
          char* end = nullptr;
          const std::string copy(text);
          amount = std::strtod(copy.c_str(), &end);
          if (copy.empty() || end != copy.c_str() + copy.size()) {
            return Bad(ptr, "must be a decimal number, e.g. 129.90");
          }
        } else if (x.get_double().get(amount)) {
          if (x.is_null()) continue;
          return Bad(ptr, "must be a decimal number, e.g. 129.90");
        }
        if (!std::isfinite(amount) || std::fabs(amount) > 1e15) {
          return Bad(ptr, "must be a finite amount below 10^15");
        }
        c.amount = amount;
      } else if (k == "currency") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.currency));
      } else if (k == "items") {
        int64_t n = 0;
        if (x.is_null()) continue;
        if (x.get_int64().get(n) || n < 0) return Bad(ptr, "must be an integer >= 0");
        c.items = n;
      } else if (k == "order_id" && kind == "return") {
        ASSIGN_OR_RETURN(std::string id, IdValue(x, ptr));
        c.order_id = std::move(id);
      } else if (k == "plan" && (kind == "subscription" || kind == "account")) {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.plan));
      } else if (k == "reason" && kind == "return") {
        RETURN_IF_ERROR(TextValue(x, ptr, &c.reason));
      } else {
        RETURN_IF_ERROR(Unknown(std::string(kind) + "." + std::string(k), x));
      }
    }
    if (!has_id) return Bad(where + "/id", "is required");
    return Status::Ok();
  }

  // Our own derived events' `sla` member (never accepted from producers).
  Status Sla(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/sla", "must be an object");
    auto& s = e_.sla.emplace();
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/sla/", k);
      element x = field.value;
      std::string_view text;
      if (k == "policy" && !x.get_string().get(text)) {
        s.policy = std::string(text);
      } else if (k == "metric" && !x.get_string().get(text)) {
        s.metric = std::string(text);
      } else if (k == "instance" && x.is_int64()) {
        s.instance = x.get_int64().value();
      } else if (k == "target_s" && x.is_int64()) {
        s.target_s = x.get_int64().value();
      } else if (k == "due_at") {
        RETURN_IF_ERROR(Time(x, ptr, &s.due_at.emplace()));
      } else {
        return Bad(ptr, "is not part of a stored sla object");
      }
    }
    return Status::Ok();
  }

  // Our own derived surge.detected's `surge` member (never accepted from producers).
  Status Surge(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/surge", "must be an object");
    auto& s = e_.surge.emplace();
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/surge/", k);
      element x = field.value;
      std::string_view text;
      if (k == "dimension" && !x.get_string().get(text)) {
        s.dimension = std::string(text);
      } else if (k == "value" && !x.get_string().get(text)) {
        s.value = std::string(text);
      } else if (k == "bucket_start") {
        RETURN_IF_ERROR(Time(x, ptr, &s.bucket_start));
      } else if (k == "bucket_s" && x.is_int64()) {
        s.bucket_s = x.get_int64().value();
      } else if (k == "count" && x.is_int64()) {
        s.count = x.get_int64().value();
      } else if ((k == "mean" || k == "variance" || k == "score") && x.is_number()) {
        (k == "mean" ? s.mean : k == "variance" ? s.variance : s.score) = x.get_double().value();
      } else {
        return Bad(ptr, "is not part of a stored surge object");
      }
    }
    return Status::Ok();
  }

  Status Attributes(element v) {
    object obj;
    if (v.get_object().get(obj)) return Bad("/attributes", "must be an object");
    for (auto field : obj) {
      e_.attributes.emplace_back(std::string(field.key), simdjson::minify(element(field.value)));
    }
    return Status::Ok();
  }

  Status Time(element v, const Ptr& ptr, TimeMicros* out) {
    Result<TimeMicros> t = InvalidArgument("");
    if (v.is_string()) {
      t = ParseRfc3339(v.get_string().value());
    } else if (v.is_number()) {
      t = FromUnixNumber(v.get_double().value());
    } else {
      return Bad(ptr, "must be an RFC 3339 string or a Unix timestamp number");
    }
    if (!t.ok()) return Bad(ptr, t.status().message());
    *out = *t;
    return Status::Ok();
  }

  Status Top(element root) {
    object obj;
    if (root.get_object().get(obj)) return Bad("", "an event must be a JSON object");
    bool has_spec = false, has_id = false, has_type = false, has_time = false;
    for (auto field : obj) {
      const std::string_view k = field.key;
      const Ptr ptr("/", k);
      element x = field.value;
      if (k == "spec") {
        std::string_view s;
        if (x.get_string().get(s) || s != kSpec) return Bad(ptr, "must be \"supportpipe/v1\"");
        has_spec = true;
      } else if (k == "id") {
        ASSIGN_OR_RETURN(e_.id, IdValue(x, ptr));
        has_id = true;
      } else if (k == "type") {
        std::string_view s;
        if (x.get_string().get(s)) return Bad(ptr, "must be a string");
        e_.type = std::string(s);
        has_type = true;
      } else if (k == "occurred_at") {
        RETURN_IF_ERROR(Time(x, ptr, &e_.occurred_at));
        has_time = true;
      } else if (k == "received_at" && opt_.trusted) {
        RETURN_IF_ERROR(Time(x, ptr, &e_.received_at));
      } else if (k == "source") {
        std::optional<std::string> s;
        RETURN_IF_ERROR(TextValue(x, ptr, &s));
        if (s) e_.source = *s;
      } else if (k == "sequence") {
        if (x.is_int64()) {
          e_.sequence = x.get_int64().value();
        } else if (!x.is_null()) {
          return Bad(ptr, "must be an integer");
        }
      } else if (k == "ticket") {
        if (!x.is_null()) RETURN_IF_ERROR(Ticket(x));
      } else if (k == "changes") {
        if (!x.is_null()) RETURN_IF_ERROR(Changes(x));
      } else if (k == "message") {
        if (!x.is_null()) RETURN_IF_ERROR(Message(x));
      } else if (k == "customer") {
        if (!x.is_null()) RETURN_IF_ERROR(Customer(x));
      } else if (k == "agent") {
        if (!x.is_null()) RETURN_IF_ERROR(Agent(x));
      } else if (k == "csat") {
        if (!x.is_null()) RETURN_IF_ERROR(Csat(x));
      } else if (k == "order" || k == "return" || k == "subscription" || k == "account") {
        if (!x.is_null()) RETURN_IF_ERROR(Context(x, k));
      } else if (k == "attributes") {
        if (!x.is_null()) RETURN_IF_ERROR(Attributes(x));
      } else if (k == "sla" && opt_.trusted) {
        if (!x.is_null()) RETURN_IF_ERROR(Sla(x));
      } else if (k == "surge" && opt_.trusted) {
        if (!x.is_null()) RETURN_IF_ERROR(Surge(x));
      } else if (k == "drift_fields" && opt_.trusted) {
        if (x.is_int64()) e_.drift_fields = static_cast<int>(x.get_int64().value());
      } else {
        RETURN_IF_ERROR(Unknown(std::string(k), x));
      }
    }
    if (!has_spec) return Bad("/spec", "is required (\"supportpipe/v1\")");
    if (!has_id) return Bad("/id", "is required");
    if (!has_type) return Bad("/type", "is required");
    if (!has_time) return Bad("/occurred_at", "is required");
    return CheckType();
  }

  Status CheckType() { return CheckEvent(&e_, opt_); }

 private:
  Event& e_;
  const DecodeOptions& opt_;
};

void WriteOpt(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key,
              const std::optional<std::string>& v) {
  if (!v) return;
  w.Key(key);
  w.String(v->data(), static_cast<rapidjson::SizeType>(v->size()));
}

void WriteStr(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key,
              const std::string& v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void WriteRaw(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& raw) {
  w.RawValue(raw.data(), raw.size(), rapidjson::kObjectType);
}

void WriteTicket(rapidjson::Writer<rapidjson::StringBuffer>& w, const Ticket& t) {
  w.StartObject();
  WriteStr(w, "id", t.id);
  WriteOpt(w, "status", t.status);
  WriteOpt(w, "priority", t.priority);
  WriteOpt(w, "channel", t.channel);
  WriteOpt(w, "subject", t.subject);
  WriteOpt(w, "group", t.group);
  WriteOpt(w, "assignee", t.assignee);
  WriteOpt(w, "requester", t.requester);
  WriteOpt(w, "organization", t.organization);
  WriteOpt(w, "brand", t.brand);
  if (t.tags) {
    w.Key("tags");
    w.StartArray();
    for (const auto& tag : *t.tags)
      w.String(tag.data(), static_cast<rapidjson::SizeType>(tag.size()));
    w.EndArray();
  }
  if (!t.custom_fields.empty()) {
    w.Key("custom_fields");
    WriteRaw(w, t.custom_fields);
  }
  w.EndObject();
}

void WriteChanges(rapidjson::Writer<rapidjson::StringBuffer>& w,
                  const std::vector<Change>& changes) {
  w.StartObject();
  for (const auto& c : changes) {
    w.Key(c.field.data(), static_cast<rapidjson::SizeType>(c.field.size()));
    w.StartObject();
    w.Key("from");
    WriteRaw(w, c.from_json);
    w.Key("to");
    WriteRaw(w, c.to_json);
    w.EndObject();
  }
  w.EndObject();
}

void WriteAttributes(rapidjson::Writer<rapidjson::StringBuffer>& w,
                     const std::vector<std::pair<std::string, std::string>>& attributes) {
  w.StartObject();
  for (const auto& [k, v] : attributes) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    WriteRaw(w, v);
  }
  w.EndObject();
}

template <typename Fn>
std::string Written(Fn fn) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  fn(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string EncodeTicket(const Ticket& t) {
  return Written([&](auto& w) { WriteTicket(w, t); });
}

std::string EncodeChanges(const std::vector<Change>& changes) {
  return Written([&](auto& w) { WriteChanges(w, changes); });
}

std::string EncodeAttributes(const std::vector<std::pair<std::string, std::string>>& attributes) {
  return Written([&](auto& w) { WriteAttributes(w, attributes); });
}

bool IsProducerType(std::string_view t) {
  static constexpr std::string_view kTypes[] = {
      "ticket.created",       "ticket.updated",          "ticket.status_changed",
      "ticket.assigned",      "ticket.priority_changed", "ticket.tags_changed",
      "ticket.merged",        "ticket.deleted",          "message.created",
      "customer.upserted",    "agent.upserted",          "csat.submitted",
      "order.created",        "order.updated",           "return.requested",
      "subscription.changed", "account.changed"};
  return std::find(std::begin(kTypes), std::end(kTypes), t) != std::end(kTypes);
}

std::string_view ContextKind(std::string_view t) {
  if (t == "order.created" || t == "order.updated") return "order";
  if (t == "return.requested") return "return";
  if (t == "subscription.changed") return "subscription";
  if (t == "account.changed") return "account";
  return "";
}

bool IsDerivedType(std::string_view t) {
  return std::find(std::begin(kDerivedTypes), std::end(kDerivedTypes), t) !=
         std::end(kDerivedTypes);
}

Result<Event> DecodeCanonical(std::string_view json, const DecodeOptions& options) {
  element root;
  if (auto err = ThreadParser().parse(json.data(), json.size()).get(root)) return ParseError(err);
  Event e;
  Decoder d(&e, options);
  RETURN_IF_ERROR(d.Top(root));
  return e;
}

Status DecodeStored(const StoredParts& parts, Event* out) {
  Event& e = *out;
  e = Event();
  e.id = parts.id;
  e.type = parts.type;
  e.occurred_at = parts.occurred_at;
  e.sequence = parts.sequence;
  const DecodeOptions trusted{.trusted = true};
  Decoder d(&e, trusted);
  // Each part is its own document; one is decoded before the next parse reuses the parser.
  auto part = [&](std::string_view json, const char* what, Status (Decoder::*fn)(element)) {
    if (json.empty()) return Status::Ok();
    element root;
    if (auto err = ThreadParser().parse(json.data(), json.size()).get(root)) {
      return Bad(std::string("/") + what, simdjson::error_message(err));
    }
    return root.is_null() ? Status::Ok() : (d.*fn)(root);
  };
  RETURN_IF_ERROR(part(parts.ticket, "ticket", &Decoder::Ticket));
  RETURN_IF_ERROR(part(parts.changes, "changes", &Decoder::Changes));
  RETURN_IF_ERROR(part(parts.attributes, "attributes", &Decoder::Attributes));
  if (parts.author_role) {
    Message& m = e.message.emplace();
    m.author_role = std::string(*parts.author_role);
    m.is_public = parts.is_public;
  }
  if (parts.csat_rating) e.csat.emplace().rating = *parts.csat_rating;
  if (parts.customer_id) {
    Customer& c = e.customer.emplace();
    c.id = *parts.customer_id;
    if (parts.customer_tier) c.tier = std::string(*parts.customer_tier);
  }
  return CheckEvent(&e, trusted);
}

std::string EncodeEvent(const Event& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  WriteStr(w, "spec", std::string(kSpec));
  WriteStr(w, "id", e.id);
  WriteStr(w, "type", e.type);
  if (!e.source.empty()) WriteStr(w, "source", e.source);
  WriteStr(w, "occurred_at", FormatRfc3339(e.occurred_at));
  if (e.received_at) WriteStr(w, "received_at", FormatRfc3339(e.received_at));
  if (e.sequence) {
    w.Key("sequence");
    w.Int64(*e.sequence);
  }
  if (e.ticket) {
    w.Key("ticket");
    WriteTicket(w, *e.ticket);
  }
  if (!e.changes.empty()) {
    w.Key("changes");
    WriteChanges(w, e.changes);
  }
  if (e.message) {
    const Message& m = *e.message;
    w.Key("message");
    w.StartObject();
    WriteOpt(w, "id", m.id);
    WriteOpt(w, "author", m.author);
    WriteOpt(w, "author_role", m.author_role);
    w.Key("public");
    w.Bool(m.is_public);
    WriteOpt(w, "body", m.body);
    WriteOpt(w, "channel", m.channel);
    w.EndObject();
  }
  if (e.customer) {
    const Customer& c = *e.customer;
    w.Key("customer");
    w.StartObject();
    WriteStr(w, "id", c.id);
    WriteOpt(w, "email", c.email);
    WriteOpt(w, "name", c.name);
    WriteOpt(w, "phone", c.phone);
    WriteOpt(w, "organization", c.organization);
    WriteOpt(w, "tier", c.tier);
    WriteOpt(w, "external_id", c.external_id);
    if (c.email_verified) {
      w.Key("email_verified");
      w.Bool(*c.email_verified);
    }
    if (!c.consent.empty()) {
      w.Key("consent");
      w.StartObject();
      for (const Consent& k : c.consent) {
        w.Key(k.purpose.c_str(), static_cast<rapidjson::SizeType>(k.purpose.size()));
        w.StartObject();
        w.Key("granted");
        w.Bool(k.granted);
        if (k.at) WriteStr(w, "at", FormatRfc3339(*k.at));
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
  }
  if (e.agent) {
    const Agent& a = *e.agent;
    w.Key("agent");
    w.StartObject();
    WriteStr(w, "id", a.id);
    WriteOpt(w, "name", a.name);
    WriteOpt(w, "email", a.email);
    WriteOpt(w, "group", a.group);
    w.EndObject();
  }
  if (e.csat) {
    w.Key("csat");
    w.StartObject();
    WriteStr(w, "rating", e.csat->rating);
    WriteOpt(w, "comment", e.csat->comment);
    w.EndObject();
  }
  if (e.context) {
    const event::Context& c = *e.context;
    w.Key(c.kind.c_str(), static_cast<rapidjson::SizeType>(c.kind.size()));
    w.StartObject();
    WriteStr(w, "id", c.id);
    WriteOpt(w, "status", c.status);
    if (c.amount) {
      w.Key("amount");
      w.Double(*c.amount);
    }
    WriteOpt(w, "currency", c.currency);
    if (c.items) {
      w.Key("items");
      w.Int64(*c.items);
    }
    WriteOpt(w, "order_id", c.order_id);
    WriteOpt(w, "plan", c.plan);
    WriteOpt(w, "reason", c.reason);
    w.EndObject();
  }
  if (e.sla) {
    w.Key("sla");
    w.StartObject();
    WriteStr(w, "policy", e.sla->policy);
    WriteStr(w, "metric", e.sla->metric);
    w.Key("instance");
    w.Int64(e.sla->instance);
    w.Key("target_s");
    w.Int64(e.sla->target_s);
    if (e.sla->due_at) WriteStr(w, "due_at", FormatRfc3339(*e.sla->due_at));
    w.EndObject();
  }
  if (e.surge) {
    const event::Surge& s = *e.surge;
    w.Key("surge");
    w.StartObject();
    WriteStr(w, "dimension", s.dimension);
    WriteStr(w, "value", s.value);
    WriteStr(w, "bucket_start", FormatRfc3339(s.bucket_start));
    w.Key("bucket_s");
    w.Int64(s.bucket_s);
    w.Key("count");
    w.Int64(s.count);
    w.Key("mean");
    w.Double(s.mean);
    w.Key("variance");
    w.Double(s.variance);
    w.Key("score");
    w.Double(s.score);
    w.EndObject();
  }
  if (!e.attributes.empty()) {
    w.Key("attributes");
    WriteAttributes(w, e.attributes);
  }
  if (e.drift_fields) {
    w.Key("drift_fields");
    w.Int(e.drift_fields);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds the top-level elements of the array that starts at body[pos] == '['. Strings and
// nesting are tracked so that commas inside values do not split; each element is then
// parsed on its own, so one bad element (even invalid UTF-8) fails only itself.
Status SplitArray(std::string_view body, std::vector<BatchItem>* out) {
  size_t i = body.find('[') + 1;
  size_t start = std::string::npos;
  int depth = 0;
  bool in_string = false;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (start == std::string::npos && !IsSpace(c) && !(depth == 0 && (c == ',' || c == ']'))) {
      start = i;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        if (depth == 0) {  // the closing bracket of the batch
          if (start != std::string::npos) {
            size_t end = i;
            while (end > start && IsSpace(body[end - 1])) --end;
            out->push_back({out->size(), body.substr(start, end - start)});
          }
          for (size_t j = i + 1; j < body.size(); ++j) {
            if (!IsSpace(body[j]))
              return InvalidArgument("unexpected content after the JSON array");
          }
          return Status::Ok();
        }
        --depth;
        break;
      case ',':
        if (depth == 0) {
          if (start == std::string::npos) return InvalidArgument("empty element in the JSON array");
          size_t end = i;
          while (end > start && IsSpace(body[end - 1])) --end;
          out->push_back({out->size(), body.substr(start, end - start)});
          start = std::string::npos;
        }
        break;
      default:
        break;
    }
  }
  return InvalidArgument("the JSON array is not terminated");
}

// The index just past the object or array that starts at body[start] (or body.size()
// when it is not terminated); strings are skipped with their escapes.
size_t ValueEnd(std::string_view body, size_t start) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return body.size();
}

void SplitLines(std::string_view body, std::vector<BatchItem>* out) {
  size_t line_no = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    if (!line.empty()) out->push_back({line_no, line});
    if (!line.empty()) ++line_no;
  }
}

}  // namespace

Batch SplitBatch(std::string_view body, const SplitOptions& options) {
  Batch b;
  size_t first = 0;
  while (first < body.size() && IsSpace(body[first])) ++first;
  if (first == body.size()) {
    b.error = InvalidArgument("the request body is empty");
    return b;
  }
  if (options.ndjson_hint) {
    SplitLines(body, &b.items);
    return b;
  }
  if (body[first] == '[') {
    b.error = SplitArray(body, &b.items);
    if (!b.error.ok()) b.items.clear();
    return b;
  }
  if (body[first] != '{') {
    b.error = InvalidArgument("the body is not a JSON object, a JSON array or JSON lines");
    return b;
  }
  // One object, unless the body holds several values: then it is JSON lines.
  size_t end = ValueEnd(body, first);
  while (end < body.size() && IsSpace(body[end])) ++end;
  if (end < body.size()) {
    SplitLines(body, &b.items);
  } else if (options.check_single_object && !IsWellFormedJson(body)) {
    b.error = InvalidArgument("the body is not valid JSON");
  } else {
    b.items.push_back({0, body.substr(first)});
  }
  return b;
}

std::string EncodeStringList(const std::vector<std::string>& list) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& s : list) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::vector<std::string>> DecodeStringList(std::string_view json) {
  element root;
  if (ThreadParser().parse(json.data(), json.size()).get(root)) return std::nullopt;
  std::vector<std::string> out;
  if (!StringList(root, "", &out).ok()) return std::nullopt;
  return out;
}

std::optional<std::string> JsonUnquote(std::string_view json) {
  element root;
  if (ThreadParser().parse(json.data(), json.size()).get(root)) return std::nullopt;
  std::string_view v;
  if (root.get_string().get(v)) return std::nullopt;
  return std::string(v);
}

void AppendJsonQuoted(std::string* out, std::string_view s) {
  // The escapes RapidJSON's writer makes: quote, backslash and control characters; bytes
  // from 0x20 up (UTF-8 included) as they are.
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t run = 0;  // start of the bytes not copied yet
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonQuoted(&out, s);
  return out;
}

Change TextChange(std::string field, const std::optional<std::string>& from,
                  const std::optional<std::string>& to) {
  Change c;
  c.field = std::move(field);
  c.from_json = from ? JsonQuote(*from) : "null";
  c.to_json = to ? JsonQuote(*to) : "null";
  c.to_text = to;
  return c;
}

Change ListChange(std::string field, const std::vector<std::string>& to,
                  const std::optional<std::vector<std::string>>& from) {
  Change c;
  c.field = std::move(field);
  if (from) c.from_json = EncodeStringList(*from);
  c.to_json = EncodeStringList(to);
  c.to_list = to;
  return c;
}

bool IsWellFormedJson(std::string_view body) {
  simdjson::dom::element root;
  return !ThreadParser().parse(body.data(), body.size()).get(root);
}

}  // namespace supportpipe::event
