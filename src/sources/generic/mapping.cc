#include "sources/generic/mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "common/crypto.h"
#include "event/codec.h"
#include "sources/auth.h"
#include "sources/fields.h"

namespace supportpipe::sources {
namespace {

using ValueMap = std::map<std::string, std::string>;  // lower-case vendor value -> canonical

struct FieldRule {
  std::string pointer;               // "" = not mapped
  std::optional<std::string> fixed;  // default constant
  ValueMap values;
};

bool ValidRating(const std::string& r) {
  return r == "good" || r == "bad" || (r.size() == 1 && r[0] >= '1' && r[0] <= '5');
}

// For fields with a closed vocabulary, whether `v` is in it; other fields take anything.
bool CanonicalValue(const std::string& field, const std::string& v) {
  if (field == "type") return event::IsProducerType(v);
  if (field == "ticket.status") return event::IsStatus(v);
  if (field == "ticket.priority") return event::IsPriority(v);
  if (field == "message.author_role") return v == "customer" || v == "agent" || v == "system";
  if (field == "csat.rating") return ValidRating(v);
  return true;
}

class MappingDecoder final : public Decoder {
 public:
  MappingDecoder(std::map<std::string, FieldRule> rules, std::string items)
      : rules_(std::move(rules)), items_(std::move(items)) {
    for (const auto& [name, rule] : rules_) {
      if (!rule.pointer.empty()) pointers_.push_back(rule.pointer);
    }
  }

  Decoded Decode(const Delivery& d) const override {
    return DecodeItems(
        d.body, items_,
        [&](element item, const std::string& base) -> Result<std::vector<event::Event>> {
          ASSIGN_OR_RETURN(event::Event e, Map(item, base, d));
          return std::vector<event::Event>{std::move(e)};
        });
  }

 private:
  // The text at a rule's pointer (after its value table), else its default.
  Result<std::optional<std::string>> Get(element item, const std::string& base,
                                         const std::string& field) const {
    auto it = rules_.find(field);
    if (it == rules_.end()) return std::optional<std::string>();
    const FieldRule& rule = it->second;
    std::optional<std::string> v;
    element x;
    if (!rule.pointer.empty() && !item.at_pointer(rule.pointer).get(x) && !x.is_null()) {
      if (x.is_string()) {
        v = std::string(x.get_string().value());
      } else if (x.is_int64() || x.is_uint64() || x.is_double() || x.is_bool()) {
        v = simdjson::minify(x);
      } else {
        return InvalidArgument(fmt::format("must be text or a number for {}", field),
                               base + rule.pointer);
      }
      if (v->empty()) v.reset();
    }
    if (!v) return rule.fixed;
    if (!rule.values.empty()) {
      auto m = rule.values.find(Lower(*v));
      if (m != rule.values.end()) {
        // A value mapped to "" means "unset" (a template's "-" for no priority).
        return m->second.empty() ? std::optional<std::string>() : m->second;
      }
    }
    return v;
  }

  Result<event::Event> Map(element item, const std::string& base, const Delivery& d) const {
    if (!item.is_object()) return InvalidArgument("an item must be a JSON object", base);
    event::Event e;
    auto get = [&](const std::string& f) { return Get(item, base, f); };
    auto ptr = [&](const std::string& f) {
      auto it = rules_.find(f);
      return it == rules_.end() || it->second.pointer.empty() ? fmt::format("(mapping of {})", f)
                                                              : base + it->second.pointer;
    };
    ASSIGN_OR_RETURN(std::optional<std::string> type, get("type"));
    e.type = type.value_or("ticket.updated");
    if (!event::IsProducerType(e.type)) {
      return Unmapped(ptr("type"), "event type", e.type);
    }
    ASSIGN_OR_RETURN(std::optional<std::string> id, get("id"));
    e.id = id ? *id : "sha256:" + HexEncode(Sha256(simdjson::minify(item)));
    ASSIGN_OR_RETURN(std::optional<std::string> at, get("occurred_at"));
    if (at) {
      Result<TimeMicros> t = ParseLooseTime(*at);
      if (!t.ok()) return InvalidArgument(t.status().message(), ptr("occurred_at"));
      e.occurred_at = *t;
    } else {
      e.occurred_at = d.received_at;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> seq, get("sequence"));
    if (seq) {
      e.sequence = ParseInteger(*seq);
      if (!e.sequence) return InvalidArgument("must be an integer", ptr("sequence"));
    }
    RETURN_IF_ERROR(MapTicket(item, base, &e));
    RETURN_IF_ERROR(MapParts(item, base, &e));
    KeepUnread(item, "", "", &e);
    return e;
  }

  Status MapTicket(element item, const std::string& base, event::Event* e) const {
    auto get = [&](const char* f) { return Get(item, base, f); };
    ASSIGN_OR_RETURN(std::optional<std::string> id, get("ticket.id"));
    if (!id) {
      const bool needs = e->type.rfind("ticket.", 0) == 0 || e->type.rfind("message.", 0) == 0 ||
                         e->type.rfind("csat.", 0) == 0;
      if (needs) return Missing(base, "ticket.id");
      return Status::Ok();
    }
    event::Ticket& t = e->ticket.emplace();
    t.id = *id;
    ASSIGN_OR_RETURN(t.status, get("ticket.status"));
    if (t.status) {
      const std::string s = Lower(*t.status);
      if (!event::IsStatus(s)) {
        return Unmapped(Ptr(base, "ticket.status"), "status", *t.status);
      }
      t.status = s;
    }
    ASSIGN_OR_RETURN(t.priority, get("ticket.priority"));
    if (t.priority) {
      const std::string p = Lower(*t.priority);
      if (!event::IsPriority(p)) {
        return Unmapped(Ptr(base, "ticket.priority"), "priority", *t.priority);
      }
      t.priority = p;
    }
    ASSIGN_OR_RETURN(t.channel, get("ticket.channel"));
    if (t.channel) t.channel = Lower(*t.channel);
    ASSIGN_OR_RETURN(t.subject, get("ticket.subject"));
    ASSIGN_OR_RETURN(t.group, get("ticket.group"));
    ASSIGN_OR_RETURN(t.assignee, get("ticket.assignee"));
    ASSIGN_OR_RETURN(t.requester, get("ticket.requester"));
    ASSIGN_OR_RETURN(t.organization, get("ticket.organization"));
    ASSIGN_OR_RETURN(t.brand, get("ticket.brand"));
    if (auto it = rules_.find("ticket.tags"); it != rules_.end()) {
      element x;
      if (!it->second.pointer.empty() && !item.at_pointer(it->second.pointer).get(x) &&
          x.is_array()) {
        t.tags = StringsOf(Elements(x), "name");
      } else {
        ASSIGN_OR_RETURN(std::optional<std::string> text, get("ticket.tags"));
        if (text) t.tags = SplitTags(*text);
      }
    }
    if (auto it = rules_.find("ticket.custom_fields"); it != rules_.end()) {
      element x;
      if (!it->second.pointer.empty() && !item.at_pointer(it->second.pointer).get(x) &&
          x.is_object()) {
        t.custom_fields = simdjson::minify(x);
      }
    }
    if (e->type.rfind("ticket.", 0) == 0) {
      if (t.status) e->changes.push_back(TextChange("status", std::nullopt, t.status));
      if (t.priority) e->changes.push_back(TextChange("priority", std::nullopt, t.priority));
      if (t.assignee) e->changes.push_back(TextChange("assignee", std::nullopt, t.assignee));
      if (t.group) e->changes.push_back(TextChange("group", std::nullopt, t.group));
      if (t.tags) e->changes.push_back(ListChange("tags", *t.tags));
    }
    return Status::Ok();
  }

  Status MapParts(element item, const std::string& base, event::Event* e) const {
    auto get = [&](const char* f) { return Get(item, base, f); };
    ASSIGN_OR_RETURN(std::optional<std::string> body, get("message.body"));
    ASSIGN_OR_RETURN(std::optional<std::string> role, get("message.author_role"));
    if (body || role || e->type == "message.created") {
      event::Message& m = e->message.emplace();
      m.body = body;
      ASSIGN_OR_RETURN(m.id, get("message.id"));
      ASSIGN_OR_RETURN(m.author, get("message.author"));
      ASSIGN_OR_RETURN(m.channel, get("message.channel"));
      if (role) {
        const std::string r = Lower(*role);
        if (r != "customer" && r != "agent" && r != "system") {
          return Unmapped(Ptr(base, "message.author_role"), "author role", *role);
        }
        m.author_role = r;
      }
      ASSIGN_OR_RETURN(std::optional<std::string> pub, get("message.public"));
      if (pub) m.is_public = Lower(*pub) != "false" && *pub != "0";
    }
    ASSIGN_OR_RETURN(std::optional<std::string> customer, get("customer.id"));
    if (customer) {
      event::Customer& c = e->customer.emplace();
      c.id = *customer;
      ASSIGN_OR_RETURN(c.email, get("customer.email"));
      ASSIGN_OR_RETURN(c.name, get("customer.name"));
      ASSIGN_OR_RETURN(c.phone, get("customer.phone"));
      ASSIGN_OR_RETURN(c.organization, get("customer.organization"));
      ASSIGN_OR_RETURN(c.tier, get("customer.tier"));
      ASSIGN_OR_RETURN(c.external_id, get("customer.external_id"));
    } else if (e->type == "customer.upserted") {
      return Missing(base, "customer.id");
    }
    ASSIGN_OR_RETURN(std::optional<std::string> agent, get("agent.id"));
    if (agent) {
      event::Agent& a = e->agent.emplace();
      a.id = *agent;
      ASSIGN_OR_RETURN(a.name, get("agent.name"));
      ASSIGN_OR_RETURN(a.email, get("agent.email"));
      ASSIGN_OR_RETURN(a.group, get("agent.group"));
    } else if (e->type == "agent.upserted") {
      return Missing(base, "agent.id");
    }
    if (const std::string_view kind = event::ContextKind(e->type); !kind.empty()) {
      RETURN_IF_ERROR(MapContext(item, base, std::string(kind), e));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> rating, get("csat.rating"));
    if (rating) {
      event::Csat& c = e->csat.emplace();
      c.rating = Lower(*rating);
      if (!ValidRating(c.rating)) return Unmapped(Ptr(base, "csat.rating"), "rating", *rating);
      ASSIGN_OR_RETURN(c.comment, get("csat.comment"));
    }
    return Status::Ok();
  }

  // order.*, return.*, subscription.* or account.* fields, by the event's type.
  Status MapContext(element item, const std::string& base, const std::string& kind,
                    event::Event* e) const {
    auto get = [&](const char* f) { return Get(item, base, kind + "." + f); };
    ASSIGN_OR_RETURN(std::optional<std::string> id, get("id"));
    if (!id) return Missing(base, kind + ".id");
    event::Context& c = e->context.emplace();
    c.kind = kind;
    c.id = *id;
    ASSIGN_OR_RETURN(c.status, get("status"));
    if (c.status) c.status = Lower(*c.status);
    ASSIGN_OR_RETURN(c.currency, get("currency"));
    ASSIGN_OR_RETURN(c.order_id, get("order_id"));
    ASSIGN_OR_RETURN(c.plan, get("plan"));
    ASSIGN_OR_RETURN(c.reason, get("reason"));
    ASSIGN_OR_RETURN(std::optional<std::string> amount, get("amount"));
    if (amount && !amount->empty()) {
      char* end = nullptr;
      const double v = std::strtod(amount->c_str(), &end);
      if (end != amount->c_str() + amount->size() || !std::isfinite(v)) {
        return InvalidArgument("must be a decimal number, e.g. 129.90",
                               Ptr(base, kind + ".amount"));
      }
      c.amount = v;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> items, get("items"));
    if (items && !items->empty()) {
      c.items = ParseInteger(*items);
      if (!c.items) return InvalidArgument("must be an integer", Ptr(base, kind + ".items"));
    }
    return Status::Ok();
  }

  // Members no pointer reads go to attributes (dotted path) and count as drift; objects
  // on the way to a mapped member are walked into.
  void KeepUnread(element v, const std::string& pointer, const std::string& dotted,
                  event::Event* e) const {
    simdjson::dom::object obj;
    if (v.get_object().get(obj)) return;
    for (auto field : obj) {
      const std::string key(field.key);
      const std::string p = pointer + "/" + key;
      const std::string name = dotted.empty() ? key : dotted + "." + key;
      bool exact = false, prefix = false;
      for (const auto& mp : pointers_) {
        exact = exact || mp == p;
        prefix = prefix ||
                 (mp.size() > p.size() && mp.compare(0, p.size(), p) == 0 && mp[p.size()] == '/');
      }
      if (exact) continue;
      if (prefix && element(field.value).is_object()) {
        KeepUnread(field.value, p, name, e);
        continue;
      }
      e->attributes.emplace_back(name, simdjson::minify(element(field.value)));
      e->drift.push_back(name);
      ++e->drift_fields;
    }
  }

  std::string Ptr(const std::string& base, const std::string& field) const {
    auto it = rules_.find(field);
    return it == rules_.end() || it->second.pointer.empty() ? base : base + it->second.pointer;
  }

  Status Missing(const std::string& base, const std::string& field) const {
    auto it = rules_.find(field);
    if (it == rules_.end() || it->second.pointer.empty()) {
      return InvalidArgument(fmt::format("is required: map {} in [source.mapping]", field), base);
    }
    return InvalidArgument(fmt::format("is required ({})", field), base + it->second.pointer);
  }

  std::map<std::string, FieldRule> rules_;
  std::string items_;
  std::vector<std::string> pointers_;
};

void Apply(const MappingConfig& m, std::map<std::string, FieldRule>* rules, std::string* items) {
  for (const auto& [f, p] : m.fields) (*rules)[f].pointer = p;
  for (const auto& [f, v] : m.defaults) (*rules)[f].fixed = v;
  for (const auto& [f, table] : m.values) {
    for (const auto& [from, to] : table) (*rules)[f].values[Lower(from)] = to;
  }
  if (!m.items.empty()) *items = m.items;
}

}  // namespace

Result<std::unique_ptr<Decoder>> MakeMappingDecoder(const MappingConfig& user,
                                                    const MappingConfig& builtin) {
  std::map<std::string, FieldRule> rules;
  std::string items;
  Apply(builtin, &rules, &items);
  Apply(user, &rules, &items);
  // Values a mapping produces for closed vocabularies must be in them: a typo here (or a
  // key that TOML put in the wrong table) is caught at start-up, not per event.
  for (const auto& [field, rule] : rules) {
    auto check = [&field = field](const std::string& where, const std::string& v) -> Status {
      if (v.empty() || CanonicalValue(field, v)) return Status::Ok();
      return InvalidArgument(
          fmt::format("{}: \"{}\" is not a canonical {} value", where, v, field));
    };
    if (rule.fixed) RETURN_IF_ERROR(check("defaults." + field, *rule.fixed));
    for (const auto& [from, to] : rule.values) {
      RETURN_IF_ERROR(check(fmt::format("values.\"{}\".\"{}\"", field, from), to));
    }
  }
  return std::unique_ptr<Decoder>(new MappingDecoder(std::move(rules), std::move(items)));
}

}  // namespace supportpipe::sources
