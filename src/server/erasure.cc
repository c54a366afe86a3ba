#include "server/erasure.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <set>

#include "common/crypto.h"
#include "common/sqlite_db.h"
#include "event/codec.h"
#include "security/privacy.h"

namespace supportpipe::server {
namespace {

// A JSON string's inside, as it appears in stored payloads.
std::string Escaped(std::string_view s) {
  const std::string q = event::JsonQuote(s);
  return q.substr(1, q.size() - 2);
}

void ReplaceAll(std::string& text, const std::string& from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string ErasureReceipt::Json() const {
  return fmt::format(
      R"({{"erasure_id":"{}","completed_at":"{}","customers":{},"tickets":{},)"
      R"("event_log":{{"events_rewritten":{}}},"raw_log":{{"records_deleted":{}}},)"
      R"("dead_letters_deleted":{},"deliveries_deleted":{},)"
      R"("warehouse":{{"profiles_deleted":{},"tickets_anonymised":{},"messages_cleared":{},)"
      R"("timeline_rows":{}}}}})",
      id, FormatRfc3339(at), customers, tickets, events, raw_records, dead_letters, deliveries,
      warehouse.profiles, warehouse.tickets, warehouse.messages, warehouse.events);
}

Result<ErasureReceipt> Eraser::Erase(const ErasureRequest& req, std::string_view actor) {
  if (!req.customer_id.empty() + !req.email.empty() + !req.person.empty() != 1) {
    return InvalidArgument("name the person by one of customer id, email or person key", "erase");
  }
  ErasureReceipt receipt;
  receipt.id = "er_" + HexEncode(RandomBytes(8));
  const std::string replacement = "erased:" + receipt.id;

  // Who: their profiles (and the strings that identify them), then the tickets they requested.
  std::string where =
      !req.person.empty()
          ? "(source, customer_id) IN (SELECT source, customer_id FROM person_link WHERE "
            "person_key = " +
                SqlLiteral(req.person) + ")"
      : req.customer_id.empty() ? "lower(email) = lower(" + SqlLiteral(req.email) + ")"
                                : "customer_id = " + SqlLiteral(req.customer_id);
  if (!req.email.empty() && config_.privacy.pseudonymize_customer_email) {
    where += " OR email = " + SqlLiteral(security::Privacy(config_.privacy).Pseudonym(req.email));
  }
  if (!req.source.empty()) where = "(" + where + ") AND source = " + SqlLiteral(req.source);
  ASSIGN_OR_RETURN(warehouse::QueryResult people,
                   warehouse_.Query("SELECT source, customer_id, email, name, phone FROM "
                                    "dim_customer WHERE " +
                                        where,
                                    100000));
  std::set<std::pair<std::string, std::string>> customers;
  std::set<std::string> identifiers;  // strings to find in raw bytes and leftovers
  if (!req.email.empty()) identifiers.insert(req.email);
  for (const auto& r : people.rows) {
    customers.emplace(r[0].s, r[1].s);
    for (int i = 2; i <= 4; ++i) {
      if (r[i].kind == warehouse::Cell::Kind::kText && r[i].s.size() >= 4)
        identifiers.insert(r[i].s);
    }
  }
  if (!req.customer_id.empty()) {
    // Known only as a requester (no profile loaded): still theirs.
    ASSIGN_OR_RETURN(
        warehouse::QueryResult sources,
        warehouse_.Query("SELECT DISTINCT source FROM fact_ticket WHERE requester_id = " +
                             SqlLiteral(req.customer_id) +
                             (req.source.empty() ? "" : " AND source = " + SqlLiteral(req.source)),
                         10000));
    for (const auto& r : sources.rows) customers.emplace(r[0].s, req.customer_id);
  }
  // One person across sources ([identity]): every record linked to the ones found.
  for (size_t before = 0; before != customers.size();) {
    before = customers.size();
    std::string keys;
    for (const auto& [source, id] : customers) {
      keys +=
          (keys.empty() ? "" : ",") + fmt::format("({},{})", SqlLiteral(source), SqlLiteral(id));
    }
    ASSIGN_OR_RETURN(
        warehouse::QueryResult linked,
        warehouse_.Query("SELECT c.source, c.customer_id, c.email, c.name, c.phone FROM "
                         "person_link l JOIN person_link m ON m.person_key = l.person_key LEFT "
                         "JOIN dim_customer c ON c.source = m.source AND c.customer_id = "
                         "m.customer_id WHERE (l.source, l.customer_id) IN (VALUES " +
                             keys + ") AND c.customer_id IS NOT NULL",
                         100000));
    for (const auto& r : linked.rows) {
      customers.emplace(r[0].s, r[1].s);
      for (int i = 2; i <= 4; ++i) {
        if (r[i].kind == warehouse::Cell::Kind::kText && r[i].s.size() >= 4)
          identifiers.insert(r[i].s);
      }
    }
  }
  if (customers.empty()) return NotFound("no customer matches; nothing was erased");
  std::set<std::pair<std::string, std::string>> tickets;
  for (const auto& [source, id] : customers) {
    ASSIGN_OR_RETURN(
        warehouse::QueryResult t,
        warehouse_.Query("SELECT ticket_id FROM fact_ticket WHERE source = " + SqlLiteral(source) +
                             " AND requester_id = " + SqlLiteral(id),
                         1000000));
    for (const auto& r : t.rows) tickets.emplace(source, r[0].s);
  }
  receipt.customers = static_cast<int64_t>(customers.size());
  receipt.tickets = static_cast<int64_t>(tickets.size());

  // The event log: every event about them or their tickets, rewritten without them.
  std::set<log::Offset> raw;
  std::set<std::pair<std::string, std::string>> rewritten;  // (source, event id)
  auto scrub = [&](const log::EventRecord& r) -> std::optional<std::string> {
    Result<event::Event> e = event::DecodeCanonical(r.payload, {.trusted = true});
    if (!e.ok()) return std::nullopt;
    bool changed = false;
    auto theirs = [&](const std::optional<std::string>& id) {
      return id && customers.count({r.source, *id});
    };
    if (e->customer && customers.count({r.source, e->customer->id})) {
      e->customer = event::Customer{.id = replacement};
      changed = true;
    }
    if (e->ticket && theirs(e->ticket->requester)) {
      e->ticket->requester = replacement;
      changed = true;
    }
    if (e->ticket && tickets.count({r.source, e->ticket->id})) {
      e->ticket->subject.reset();
      if (e->message) e->message->body.reset();
      if (e->csat) e->csat->comment.reset();
      std::erase_if(e->changes, [](const event::Change& c) {
        return c.field == "subject" || c.field == "requester";
      });
      e->attributes.clear();
      changed = true;
    }
    if (e->message && theirs(e->message->author)) {
      e->message->author = replacement;
      e->message->body.reset();
      changed = true;
    }
    std::string out = event::EncodeEvent(*e);
    for (const std::string& x : identifiers) {
      const std::string esc = Escaped(x);
      if (out.find(esc) != std::string::npos) {
        ReplaceAll(out, esc, "[erased]");
        changed = true;
      }
    }
    if (!changed) return std::nullopt;
    if (r.raw_offset) raw.insert(r.raw_offset);
    rewritten.emplace(r.source, r.event_id);
    return out;
  };
  std::set<std::string> needles;
  for (const std::string& x : identifiers) needles.insert(Escaped(x));
  for (const auto& [source, id] : customers) needles.insert("\"" + Escaped(id) + "\"");
  for (const auto& [source, id] : tickets) needles.insert("\"id\":\"" + Escaped(id) + "\"");
  const TimeMicros forever = std::numeric_limits<TimeMicros>::max();
  for (const std::string& needle : needles) {
    ASSIGN_OR_RETURN(int64_t n, log_.RewriteEvents(forever, needle, scrub));
    receipt.events += n;
  }

  // The raw log: the records those events came from, and any other that names them.
  for (log::Offset after = 0;;) {
    ASSIGN_OR_RETURN(std::vector<log::RawRecord> page, log_.ReadRaw(after, 1000));
    if (page.empty()) break;
    for (const log::RawRecord& r : page) {
      after = r.offset;
      for (const std::string& x : identifiers) {
        if (r.body.find(x) != std::string::npos || r.body.find(Escaped(x)) != std::string::npos) {
          raw.insert(r.offset);
        }
      }
    }
  }
  const std::vector<log::Offset> offsets(raw.begin(), raw.end());
  ASSIGN_OR_RETURN(auto deleted, log_.DeleteRaw(offsets));
  receipt.raw_records = deleted.first;
  receipt.dead_letters = deleted.second;

  // The outbox: deliveries of those events, or naming them.
  std::vector<int64_t> deliveries;
  for (int64_t after = 0;;) {
    ASSIGN_OR_RETURN(std::vector<log::Delivery> page,
                     log_.ListDeliveries({.after_id = after, .max = 1000}));
    if (page.empty()) break;
    for (const log::Delivery& d : page) {
      after = d.id;
      bool hit = rewritten.count({d.source, d.event_id}) > 0;
      for (const std::string& x : identifiers)
        hit = hit || d.payload.find(Escaped(x)) != std::string::npos;
      if (hit) deliveries.push_back(d.id);
    }
  }
  ASSIGN_OR_RETURN(receipt.deliveries, log_.DeleteDeliveries(deliveries));

  // The warehouse.
  warehouse::ErasureSubject subject;
  subject.customers.assign(customers.begin(), customers.end());
  subject.replacement = replacement;
  ASSIGN_OR_RETURN(receipt.warehouse, warehouse_.Erase(subject));

  receipt.at = clock_.Now();
  RETURN_IF_ERROR(security_
                      .AppendAudit({.at = receipt.at,
                                    .actor = std::string(actor),
                                    .action = "erase",
                                    .target = "erasure " + receipt.id + " " + receipt.Json(),
                                    .outcome = "ok"})
                      .status());
  return receipt;
}

}  // namespace supportpipe::server
