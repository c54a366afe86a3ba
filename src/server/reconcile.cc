#include "server/reconcile.h"

#include <fmt/format.h>

#include <map>

#include "common/sqlite_db.h"
#include "common/time.h"
#include "event/codec.h"
#include "sources/export_reader.h"
#include "sync/zendesk_sync.h"

namespace supportpipe::server {
namespace {

// One ticket as a side sees it.
struct Seen {
  // The ticket.created instant, else the earliest fact known (the warehouse's rule too).
  std::optional<TimeMicros> created_at;
  bool created_seen = false;
  std::string status;
  TimeMicros status_at = 0;
  int64_t messages = 0;
  std::vector<size_t> items;  // truth items that speak of it
};

}  // namespace

Result<warehouse::ReconciliationRun> Reconciler::Run(const SourceConfig& source, const Truth& truth,
                                                     TimeMicros from, TimeMicros to, bool repair) {
  warehouse::ReconciliationRun run;
  run.source = source.name;
  run.truth = truth.name;
  run.from = from;
  run.to = to;
  run.started_at = clock_.Now();

  // The truth, decoded as the processor decodes it.
  const sources::Decoder& decoder = decoders_.For(source.name, source.vendor, truth.kind);
  std::map<std::string, Seen> told;
  bool tells_messages = false;
  for (size_t i = 0; i < truth.items.size(); ++i) {
    sources::Decoded d = decoder.Decode({.source = source.name,
                                         .kind = truth.kind,
                                         .headers = "{}",
                                         .body = truth.items[i],
                                         .received_at = run.started_at});
    for (const sources::DecodedItem& item : d.items) {
      if (!item.status.ok() || !item.event.ticket) continue;
      const event::Event& e = item.event;
      Seen& s = told[e.ticket->id];
      if (s.items.empty() || s.items.back() != i) s.items.push_back(i);
      if (e.type == "ticket.created") {
        s.created_at = s.created_seen ? std::min(*s.created_at, e.occurred_at) : e.occurred_at;
        s.created_seen = true;
      } else if (!s.created_seen) {
        s.created_at = std::min(s.created_at.value_or(e.occurred_at), e.occurred_at);
      }
      std::optional<std::string> status = e.ticket->status;
      if (const event::Change* c = e.FindChange("status"); c && c->to_text) status = c->to_text;
      if (status && e.occurred_at >= s.status_at) {
        s.status = *status;
        s.status_at = e.occurred_at;
      }
      if (e.type == "message.created") {
        ++s.messages;
        tells_messages = true;
      }
    }
  }
  // Only the tickets created in the range are judged.
  for (auto it = told.begin(); it != told.end();) {
    const bool in =
        it->second.created_at && *it->second.created_at >= from && *it->second.created_at < to;
    it = in ? std::next(it) : told.erase(it);
  }

  // The warehouse's side.
  ASSIGN_OR_RETURN(
      warehouse::QueryResult q,
      warehouse_.Query(fmt::format("SELECT t.ticket_id, t.status, t.created_at, (SELECT COUNT(*) "
                                   "FROM fact_message m WHERE m.source = t.source AND "
                                   "m.ticket_id = t.ticket_id) FROM fact_ticket t WHERE "
                                   "t.source = {} AND t.created_at >= {} AND t.created_at < {}",
                                   SqlLiteral(source.name), SqlLiteral(FormatRfc3339(from)),
                                   SqlLiteral(FormatRfc3339(to))),
                       10000000));
  std::map<std::string, Seen> held;
  for (const auto& row : q.rows) {
    Seen& s = held[row[0].s];
    s.status = row[1].s;
    if (auto at = ParseRfc3339(row[2].s); at.ok()) s.created_at = *at;
    s.messages = row[3].i;
  }
  run.truth_tickets = static_cast<int64_t>(told.size());
  run.warehouse_tickets = static_cast<int64_t>(held.size());

  std::vector<size_t> to_repair;
  auto note = [&](const std::string& ticket, std::string_view kind, std::string_view field,
                  const std::string& truth_value, const std::string& held_value) {
    run.differences.push_back(
        {ticket, std::string(kind), std::string(field), truth_value, held_value});
  };
  for (const auto& entry : told) {
    const std::string& id = entry.first;
    const Seen& t = entry.second;
    auto it = held.find(id);
    if (it == held.end()) {
      ++run.missing;
      note(id, "missing", "", t.status, "");
      to_repair.insert(to_repair.end(), t.items.begin(), t.items.end());
      continue;
    }
    const Seen& w = it->second;
    bool differs = false;
    auto check = [&](std::string_view field, const std::string& a, const std::string& b) {
      if (a == b) return;
      note(id, "diverging", field, a, b);
      differs = true;
    };
    if (!t.status.empty()) check("status", t.status, w.status);
    if (t.created_seen) {  // a snapshot export only knows when it last saw the ticket
      check("created_at", FormatRfc3339(*t.created_at),
            w.created_at ? FormatRfc3339(*w.created_at) : "");
    }
    if (tells_messages) check("messages", std::to_string(t.messages), std::to_string(w.messages));
    if (differs) {
      ++run.diverging;
      to_repair.insert(to_repair.end(), t.items.begin(), t.items.end());
    }
  }
  for (const auto& [id, w] : held) {
    if (told.count(id)) continue;
    ++run.extra;
    note(id, "extra", "", "", w.status);
  }

  if (repair && !to_repair.empty()) {
    std::sort(to_repair.begin(), to_repair.end());
    to_repair.erase(std::unique(to_repair.begin(), to_repair.end()), to_repair.end());
    std::vector<log::RawRecord> records;
    for (size_t i : to_repair) {
      log::RawRecord r;
      r.source = source.name;
      r.kind = truth.kind;
      r.vendor = source.vendor;
      r.delivery_id = sources::ExportDeliveryId(truth.kind, truth.items[i]);
      r.received_at = clock_.Now();
      r.headers = fmt::format(R"({{"x-reconcile":{}}})", event::JsonQuote(truth.name));
      r.body = truth.items[i];
      records.push_back(std::move(r));
    }
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(log_.AppendRaw(records, &results));
    for (const auto& r : results) run.repaired += r.outcome == log::AppendOutcome::kAppended;
  }
  run.finished_at = clock_.Now();
  RETURN_IF_ERROR(warehouse_.RecordReconciliation(run));
  return run;
}

Result<Truth> ZendeskApiTruth(log::EventLog& log, const SourceConfig& source, TimeMicros from,
                              TimeMicros to) {
  if (source.vendor != "zendesk" || source.api_url.empty() || !source.api_token) {
    return InvalidArgument(
        fmt::format("source {} has no API to compare with (a zendesk source with api_url and "
                    "api_token_env); give --file with an export instead",
                    source.name),
        "--source");
  }
  // Read only: nothing is stored, and the sync's own cursor is untouched.
  sync::ZendeskSync api(
      log, {.source = source.name,
            .api_url = source.api_url,
            .authorization = sync::ZendeskAuthorization(source.api_email, *source.api_token)});
  ASSIGN_OR_RETURN(std::vector<std::string> tickets, api.ReadRange(from, to));
  return Truth{"api", "export:zendesk-tickets", std::move(tickets)};
}

}  // namespace supportpipe::server
