#include "server/processing_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/time.h"
#include "event/codec.h"
#include "server/backends.h"

namespace supportpipe::server {
namespace {

constexpr const char* kIds = "customer identifiers";
constexpr const char* kNames = "names";
constexpr const char* kEmails = "email addresses";
constexpr const char* kPhones = "phone numbers";
constexpr const char* kText = "free-text messages and ticket subjects (may hold any personal data)";
constexpr const char* kCsat = "satisfaction ratings and comments";
constexpr const char* kPurchases = "purchase history (orders, returns, subscriptions, accounts)";
constexpr const char* kAgents = "agents' names and email addresses";
constexpr const char* kHeaders = "request metadata (HTTP headers)";

bool IsHelpdesk(std::string_view vendor) {
  for (std::string_view v : {"zendesk", "intercom", "hubspot", "front", "helpscout", "freshdesk",
                             "gorgias", "slack", "github"}) {
    if (vendor == v) return true;
  }
  return false;
}

void Add(std::vector<std::string>* list, const std::string& item) {
  if (std::find(list->begin(), list->end(), item) == list->end()) list->push_back(item);
}

// The categories a mapping (generic and templated vendors) reads into canonical fields.
void FromMapping(const MappingConfig& m, std::vector<std::string>* out) {
  auto mapped = [&](std::string_view prefix) {
    for (const auto* list : {&m.fields, &m.defaults}) {
      for (const auto& [field, unused] : *list) {
        if (field.rfind(prefix, 0) == 0) return true;
      }
    }
    return false;
  };
  if (mapped("customer.name")) Add(out, kNames);
  if (mapped("customer.email")) Add(out, kEmails);
  if (mapped("customer.phone")) Add(out, kPhones);
  if (mapped("message.body") || mapped("ticket.subject")) Add(out, kText);
  if (mapped("csat.")) Add(out, kCsat);
  if (mapped("order.") || mapped("return.") || mapped("subscription.") || mapped("account.")) {
    Add(out, kPurchases);
  }
  if (mapped("agent.")) Add(out, kAgents);
}

// What a destination receiving `type` can be sent: the event as stored (after redaction).
std::vector<std::string> CategoriesOf(std::string_view type) {
  if (type.rfind("sla.", 0) == 0 || type == "surge.detected" || type == "pipeline.alert") {
    return {};  // ids, instants and counts only
  }
  if (type == "ticket.escalated") return {kIds, "ticket subjects", "customer tiers"};
  if (type == "message.created") return {kIds, kNames, kEmails, kPhones, kText};
  if (type == "csat.submitted") return {kIds, kCsat};
  if (type == "customer.upserted") return {kIds, kNames, kEmails, kPhones};
  if (type == "agent.upserted") return {kAgents};
  if (!event::ContextKind(type).empty()) return {kIds, kPurchases};
  return {kIds, kNames, kEmails, kText};  // ticket.*: snapshots, a first message, the customer
}

std::string Days(int64_t days) {
  return days > 0 ? fmt::format("{} days", days) : std::string("kept until erased");
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

}  // namespace

Result<ProcessingReport> BuildProcessingReport(const Config& config, log::EventLog& log,
                                               warehouse::Warehouse& warehouse,
                                               security::Store& store, TimeMicros now) {
  ProcessingReport r;
  r.generated_at = FormatRfc3339(now);
  r.config_path = config.path.empty() ? "(built-in defaults)" : config.path;
  r.data_dir = config.storage.data_dir;

  // Counts per source from the warehouse, and the sources seen there but not configured
  // (the canonical API's "api", imports under any name).
  auto counts = [&](const std::string& sql) -> Result<std::map<std::string, int64_t>> {
    ASSIGN_OR_RETURN(warehouse::QueryResult q, warehouse.Query(sql, 100000));
    std::map<std::string, int64_t> out;
    for (const auto& row : q.rows) out[row[0].s] = row[1].i;
    return out;
  };
  ASSIGN_OR_RETURN(auto tickets, counts("SELECT source, COUNT(*) FROM fact_ticket GROUP BY 1"));
  ASSIGN_OR_RETURN(auto customers, counts("SELECT source, COUNT(*) FROM dim_customer GROUP BY 1"));
  ASSIGN_OR_RETURN(auto emails, counts("SELECT source, COUNT(*) FROM dim_customer WHERE email "
                                       "IS NOT NULL AND email <> '' GROUP BY 1"));
  ASSIGN_OR_RETURN(auto phones, counts("SELECT source, COUNT(*) FROM dim_customer WHERE phone "
                                       "IS NOT NULL AND phone <> '' GROUP BY 1"));
  ASSIGN_OR_RETURN(auto names, counts("SELECT source, COUNT(*) FROM dim_customer WHERE name IS "
                                      "NOT NULL AND name <> '' GROUP BY 1"));
  ASSIGN_OR_RETURN(auto bodies, counts("SELECT source, COUNT(*) FROM fact_message WHERE body IS "
                                       "NOT NULL GROUP BY 1"));
  ASSIGN_OR_RETURN(auto context,
                   counts("SELECT source, COUNT(*) FROM fact_customer_event GROUP BY 1"));
  std::set<std::string> seen;
  for (const auto* m : {&tickets, &customers, &bodies, &context}) {
    for (const auto& [source, n] : *m) seen.insert(source);
  }
  auto source = [&](const std::string& name, const std::string& vendor) {
    ProcessingReport::Source s;
    s.name = name;
    s.vendor = vendor;
    s.categories = {kIds};
    if (IsHelpdesk(vendor)) {
      for (const char* c : {kNames, kEmails, kPhones, kText, kCsat, kAgents}) Add(&s.categories, c);
    }
    auto at = [&](const std::map<std::string, int64_t>& m) {
      auto it = m.find(name);
      return it == m.end() ? int64_t{0} : it->second;
    };
    s.tickets = at(tickets);
    s.customers = at(customers);
    s.with_email = at(emails);
    s.with_phone = at(phones);
    s.with_name = at(names);
    s.messages_with_body = at(bodies);
    s.context_events = at(context);
    // What the data shows, whatever the vendor.
    if (s.with_name) Add(&s.categories, kNames);
    if (s.with_email) Add(&s.categories, kEmails);
    if (s.with_phone) Add(&s.categories, kPhones);
    if (s.messages_with_body || s.tickets) Add(&s.categories, kText);
    if (s.context_events) Add(&s.categories, kPurchases);
    Add(&s.categories, kHeaders);
    return s;
  };
  for (const SourceConfig& c : config.sources) {
    ProcessingReport::Source s = source(c.name, c.vendor);
    FromMapping(c.mapping, &s.categories);
    s.arrives_by.push_back(c.vendor == "canonical" || c.vendor == "generic" ||
                                   c.vendor == "standard"
                               ? "webhooks (POST /v1/webhooks/" + c.name + ")"
                               : "signed webhooks (POST /v1/webhooks/" + c.name + ")");
    if (!c.api_url.empty()) s.arrives_by.push_back("API sync from " + c.api_url);
    s.arrives_by.push_back("file import (supportpipe import -s " + c.name + ")");
    r.sources.push_back(std::move(s));
    seen.erase(c.name);
  }
  for (const std::string& name : seen) {
    if (name == "supportpipe") continue;  // derived events: no personal data of their own
    ProcessingReport::Source s = source(name, "canonical");
    s.arrives_by = {"canonical events (POST /v1/events) or file import"};
    r.sources.push_back(std::move(s));
  }

  // Where it is kept.
  const PrivacyConfig& p = config.privacy;
  const RetentionConfig& ret = config.retention;
  std::vector<std::string> derived_protection;
  if (!p.redact.empty()) {
    derived_protection.push_back("in free text, " + Join(p.redact, ", ") +
                                 " replaced before storage");
  }
  if (p.pseudonymize_customer_email) {
    derived_protection.push_back("customers' emails replaced by keyed pseudonyms (HMAC-SHA256)");
  }
  derived_protection.push_back("SQLite secure_delete: deleted rows are overwritten");
  ASSIGN_OR_RETURN(const log::Offset raw_last, log.LastOffset("raw"));
  ASSIGN_OR_RETURN(const log::Offset events_last, log.LastOffset("events"));
  ASSIGN_OR_RETURN(const int64_t letters, log.CountDeadLetters(""));
  std::vector<std::string> all = {kIds,  kNames,     kEmails, kPhones, kText,
                                  kCsat, kPurchases, kAgents, kHeaders};
  ProcessingReport::Store raw{
      "raw log",
      config.storage.data_dir + "/raw.db",
      all,
      {p.encryption_key_file.empty()
           ? std::string("payloads stored as received: not encrypted by supportpipe (encrypt the "
                         "disk, or set [privacy] encryption_key_file)")
           : std::string("payloads encrypted at rest (XChaCha20-Poly1305, key file ") +
                 p.encryption_key_file + ")",
       "credentials (Authorization, Cookie) never stored",
       "exact bytes kept: redaction does not apply (replays and signatures need them)"},
      ret.raw_days > 0 ? fmt::format("{} days once processed", ret.raw_days) : "kept until erased",
      static_cast<int64_t>(raw_last)};
  r.stores.push_back(std::move(raw));
  ProcessingReport::Store events{
      "event log",
      config.storage.data_dir + "/events.db",
      {kIds, kNames, kEmails, kPhones, kText, kCsat, kPurchases, kAgents},
      derived_protection,
      ret.messages_days > 0
          ? fmt::format("message texts {}; the rest until erased", Days(ret.messages_days))
          : "kept until erased",
      static_cast<int64_t>(events_last)};
  r.stores.push_back(std::move(events));
  auto rows = [&](const std::string& table) -> Result<int64_t> {
    ASSIGN_OR_RETURN(warehouse::QueryResult q, warehouse.Query("SELECT COUNT(*) FROM " + table, 1));
    return q.rows.empty() ? int64_t{0} : q.rows[0][0].i;
  };
  struct Table {
    const char* name;
    std::vector<std::string> categories;
    std::string retention;
  };
  const std::vector<Table> tables = {
      {"dim_customer", {kIds, kNames, kEmails, kPhones}, "until erased"},
      {"dim_agent", {kAgents}, "until erased"},
      {"fact_ticket", {kIds, "ticket subjects", "customer tiers"}, "until erased"},
      {"fact_message",
       {kIds, kText},
       ret.messages_days > 0 ? "bodies " + Days(ret.messages_days) + "; rows until erased"
                             : "until erased"},
      {"fact_ticket_event", {kIds, kCsat, "ticket snapshots"}, "until erased"},
      {"fact_customer_event", {kIds, kPurchases}, "until erased"},
      {"fact_order", {kIds, kPurchases}, "until erased"},
      {"dim_customer_consent", {kIds, "consent statements"}, "until erased"},
      {"person_link",
       {kIds, "links between a person's records in different sources"},
       "until erased"},
      {"person_history",
       {kIds, "how records were linked, merged and split"},
       "until erased (ids replaced on erasure)"},
  };
  for (const Table& t : tables) {
    ASSIGN_OR_RETURN(int64_t n, rows(t.name));
    std::vector<std::string> protection = derived_protection;
    for (const ConsentRule& c : p.consent) {
      if (c.drop_message_bodies && std::string_view(t.name) == "fact_message") {
        protection.push_back("texts removed for customers without " + c.purpose + " consent");
      }
      if (c.drop_identifiers && std::string_view(t.name) == "dim_customer") {
        protection.push_back("name, email and phone removed for customers without " + c.purpose +
                             " consent");
      }
    }
    r.stores.push_back({std::string("warehouse ") + t.name, WarehouseLocation(config.storage),
                        t.categories, protection, t.retention, n});
  }
  r.stores.push_back({"dead-letter queue",
                      config.storage.data_dir + "/events.db",
                      {"references to raw records and failure reasons"},
                      {"failure reasons name fields, never values"},
                      ret.dlq_days > 0 ? Days(ret.dlq_days) : "kept until erased",
                      letters});

  for (const DestinationConfig& d : config.destinations) {
    ProcessingReport::Destination x;
    x.name = d.name;
    const size_t scheme = d.url.find("://");
    const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    x.host = d.url.substr(start, d.url.find('/', start) - start);
    x.format = d.format;
    x.events = d.events;
    for (const std::string& type : d.events) {
      for (const std::string& c : CategoriesOf(type)) Add(&x.categories, c);
    }
    if (d.format == "slack") x.categories = {"ticket ids and counts (Slack text)"};
    for (const ConsentRule& c : p.consent) {
      if (std::count(c.destinations.begin(), c.destinations.end(), d.name)) {
        x.categories.push_back("only about customers who gave " + c.purpose + " consent");
      }
    }
    r.destinations.push_back(std::move(x));
  }

  ASSIGN_OR_RETURN(std::vector<security::Token> tokens, store.ListTokens());
  auto active = [&](std::string_view scope) {
    int64_t n = 0;
    for (const security::Token& t : tokens) {
      if (!t.ActiveAt(now)) continue;
      for (const std::string& s : t.scopes) {
        n += s == scope || (scope == "ingest:*" && s.rfind("ingest:", 0) == 0);
      }
    }
    return n;
  };
  r.access = {
      {"admin", "everything below, tokens and the audit log", active("admin")},
      {"read", "deliveries and their payloads (events as sent to destinations)", active("read")},
      {"replay", "re-sends deliveries (no reading)", active("replay")},
      {"erase", "erases a person (no reading)", active("erase")},
      {"ingest:*", "writes events for its sources (no reading)", active("ingest:*")},
      {"data directory",
       "anyone who can read " + config.storage.data_dir +
           " on the host reads everything: protect it with file permissions",
       0},
  };
  r.rights = {
      "erasure: supportpipe erase --email ADDRESS (or POST /v1/admin/erasures), with a "
      "receipt",
      "access and lineage: supportpipe lineage --ticket ID; supportpipe query",
      "every data access on record: supportpipe audit list / verify"};
  return r;
}

std::string RenderMarkdown(const ProcessingReport& r) {
  std::string out = "# Record of processing — supportpipe\n\n";
  out += fmt::format("Generated {} from `{}` and the data in `{}`.\n\n", r.generated_at,
                     r.config_path, r.data_dir);
  out +=
      "## Sources: what comes in\n\n| source | vendor | arrives by | personal data | "
      "tickets | customers (with email / phone / name) | message texts | context events |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : r.sources) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} ({} / {} / {}) | {} | {} |\n", s.name,
                       s.vendor, Join(s.arrives_by, "; "), Join(s.categories, "; "), s.tickets,
                       s.customers, s.with_email, s.with_phone, s.with_name, s.messages_with_body,
                       s.context_events);
  }
  out +=
      "\n## Stores: where it is kept\n\n| store | file | personal data | protection | "
      "retention | records now |\n|---|---|---|---|---|---|\n";
  for (const auto& s : r.stores) {
    out += fmt::format("| {} | `{}` | {} | {} | {} | {} |\n", s.name, s.location,
                       Join(s.categories, "; "), Join(s.protection, "; "), s.retention,
                       s.records < 0 ? "-" : std::to_string(s.records));
  }
  out += "\n## Destinations: where it goes\n\n";
  if (r.destinations.empty()) {
    out +=
        "None configured: nothing leaves supportpipe except through the admin API and the "
        "CLI.\n";
  } else {
    out +=
        "| destination | host | format | event types | personal data it can receive |\n"
        "|---|---|---|---|---|\n";
    for (const auto& d : r.destinations) {
      out += fmt::format(
          "| {} | {} | {} | {} | {} |\n", d.name, d.host, d.format, Join(d.events, ", "),
          d.categories.empty() ? "none (ids, instants and counts)" : Join(d.categories, "; "));
    }
  }
  out += "\n## Access: who can read it\n\n| scope | can | active tokens |\n|---|---|---|\n";
  for (const auto& a : r.access) {
    out += fmt::format("| {} | {} | {} |\n", a.scope, a.can_read,
                       a.scope == "data directory" ? "-" : std::to_string(a.active_tokens));
  }
  out += "\n## People's rights\n\n";
  for (const auto& x : r.rights) out += "- " + x + "\n";
  return out;
}

std::string RenderJson(const ProcessingReport& r) {
  auto list = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (const std::string& s : v) out += (out.size() > 1 ? "," : "") + event::JsonQuote(s);
    return out + "]";
  };
  std::string out = fmt::format(R"({{"generated_at":{},"config":{},"data_dir":{},"sources":[)",
                                event::JsonQuote(r.generated_at), event::JsonQuote(r.config_path),
                                event::JsonQuote(r.data_dir));
  for (size_t i = 0; i < r.sources.size(); ++i) {
    const auto& s = r.sources[i];
    out += fmt::format(
        R"({}{{"name":{},"vendor":{},"arrives_by":{},"categories":{},"tickets":{},"customers":{},"with_email":{},"with_phone":{},"with_name":{},"messages_with_body":{},"context_events":{}}})",
        i ? "," : "", event::JsonQuote(s.name), event::JsonQuote(s.vendor), list(s.arrives_by),
        list(s.categories), s.tickets, s.customers, s.with_email, s.with_phone, s.with_name,
        s.messages_with_body, s.context_events);
  }
  out += R"(],"stores":[)";
  for (size_t i = 0; i < r.stores.size(); ++i) {
    const auto& s = r.stores[i];
    out += fmt::format(
        R"({}{{"name":{},"location":{},"categories":{},"protection":{},"retention":{},"records":{}}})",
        i ? "," : "", event::JsonQuote(s.name), event::JsonQuote(s.location), list(s.categories),
        list(s.protection), event::JsonQuote(s.retention),
        s.records < 0 ? "null" : std::to_string(s.records));
  }
  out += R"(],"destinations":[)";
  for (size_t i = 0; i < r.destinations.size(); ++i) {
    const auto& d = r.destinations[i];
    out += fmt::format(R"({}{{"name":{},"host":{},"format":{},"events":{},"categories":{}}})",
                       i ? "," : "", event::JsonQuote(d.name), event::JsonQuote(d.host),
                       event::JsonQuote(d.format), list(d.events), list(d.categories));
  }
  out += R"(],"access":[)";
  for (size_t i = 0; i < r.access.size(); ++i) {
    const auto& a = r.access[i];
    out += fmt::format(R"({}{{"scope":{},"can":{},"active_tokens":{}}})", i ? "," : "",
                       event::JsonQuote(a.scope), event::JsonQuote(a.can_read), a.active_tokens);
  }
  return out + R"(],"rights":)" + list(r.rights) + "}\n";
}

}  // namespace supportpipe::server
