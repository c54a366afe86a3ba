#include "server/health.h"

#include <map>

#include "delivery/dispatcher.h"
#include "event/codec.h"
#include "pipeline/loader.h"
#include "pipeline/processor.h"
#include "triggers/rule_runner.h"

namespace supportpipe::server {
namespace {

double Seconds(TimeMicros from, TimeMicros to) {
  return from > 0 && to > from ? static_cast<double>(to - from) / 1e6 : 0.0;
}

// When the event stored after `after` was received (or derived); 0 when there is none.
Result<TimeMicros> EventReceivedAfter(log::EventLog& log, log::Offset after) {
  ASSIGN_OR_RETURN(std::vector<log::EventRecord> next, log.ReadEvents(after, 1));
  if (next.empty()) return TimeMicros{0};
  ASSIGN_OR_RETURN(event::Event e, event::DecodeCanonical(next[0].payload, {.trusted = true}));
  return e.received_at;
}

Result<int64_t> Count(warehouse::Warehouse& wh, const std::string& sql) {
  ASSIGN_OR_RETURN(warehouse::QueryResult r, wh.Query(sql, 1));
  if (r.rows.empty() || r.rows[0].empty()) return int64_t{0};
  const warehouse::Cell& c = r.rows[0][0];
  return c.kind == warehouse::Cell::Kind::kInt ? c.i : 0;
}

}  // namespace

const ConsumerLag* Health::Lag(std::string_view consumer) const {
  for (const ConsumerLag& l : lags) {
    if (l.consumer == consumer) return &l;
  }
  return nullptr;
}

std::optional<double> Health::FreshnessSeconds() const {
  if (!newest_loaded_received_at) return std::nullopt;
  return Seconds(*newest_loaded_received_at, at);
}

Result<Health> ReadHealth(log::EventLog& log, warehouse::Warehouse& warehouse, const Config& config,
                          TimeMicros now) {
  Health h;
  h.at = now;
  ASSIGN_OR_RETURN(h.raw_last, log.LastOffset("raw"));
  ASSIGN_OR_RETURN(h.events_last, log.LastOffset("events"));

  // The processor reads raw records; the others read events.
  ASSIGN_OR_RETURN(log::Offset processed, log.GetCursor(pipeline::kProcessorConsumer));
  ConsumerLag p{std::string(pipeline::kProcessorConsumer), "raw"};
  p.records = h.raw_last - std::min(h.raw_last, processed);
  if (p.records > 0) {
    ASSIGN_OR_RETURN(std::vector<log::RawRecord> next, log.ReadRaw(processed, 1));
    if (!next.empty()) p.seconds = Seconds(next[0].received_at, now);
  }
  h.lags.push_back(std::move(p));

  ASSIGN_OR_RETURN(log::Offset loaded, warehouse.Position(pipeline::kLoaderConsumer));
  std::vector<std::pair<std::string_view, log::Offset>> readers = {
      {pipeline::kLoaderConsumer, loaded}};
  ASSIGN_OR_RETURN(log::Offset ruled, log.GetCursor(triggers::kRulesConsumer));
  readers.emplace_back(triggers::kRulesConsumer, ruled);
  if (!config.destinations.empty()) {
    ASSIGN_OR_RETURN(log::Offset dispatched, log.GetCursor(delivery::kDispatcherConsumer));
    readers.emplace_back(delivery::kDispatcherConsumer, dispatched);
  }
  // Consumers often stand at the same offset: each event is read and decoded once.
  std::map<log::Offset, TimeMicros> received_after;
  auto received = [&](log::Offset after) -> Result<TimeMicros> {
    auto it = received_after.find(after);
    if (it != received_after.end()) return it->second;
    ASSIGN_OR_RETURN(TimeMicros at, EventReceivedAfter(log, after));
    return received_after[after] = at;
  };
  for (const auto& [consumer, at] : readers) {
    ConsumerLag l{std::string(consumer), "events"};
    l.records = h.events_last - std::min(h.events_last, at);
    if (l.records > 0) {
      ASSIGN_OR_RETURN(TimeMicros waiting_since, received(at));
      l.seconds = Seconds(waiting_since, now);
    }
    h.lags.push_back(std::move(l));
  }
  // The newest loaded event is the one at the loader's position.
  if (loaded > 0) {
    ASSIGN_OR_RETURN(TimeMicros newest, received(loaded - 1));
    if (newest > 0) h.newest_loaded_received_at = newest;
  }

  ASSIGN_OR_RETURN(h.dead_letters_open, log.CountDeadLetters("open"));
  for (const DestinationConfig& d : config.destinations) {
    ASSIGN_OR_RETURN(log::DeliveryCounts c, log.CountDeliveries(d.name));
    h.destinations.push_back(
        {d.name, c.pending, c.dead, c.pending ? Seconds(c.oldest_pending_at, now) : 0.0});
  }

  ASSIGN_OR_RETURN(h.tickets, Count(warehouse, "SELECT COUNT(*) FROM fact_ticket"));
  ASSIGN_OR_RETURN(h.sla_active,
                   Count(warehouse, "SELECT COUNT(*) FROM fact_sla WHERE status = 'active'"));
  ASSIGN_OR_RETURN(h.sla_at_risk, Count(warehouse,
                                        "SELECT COUNT(*) FROM fact_sla WHERE status = 'active' AND "
                                        "warning_at IS NOT NULL AND warning_at <= '" +
                                            FormatRfc3339(now) + "'"));
  ASSIGN_OR_RETURN(warehouse::QueryResult runs,
                   warehouse.Query("SELECT source, missing, extra, diverging, finished_at FROM "
                                   "_reconciliation WHERE run_id IN (SELECT MAX(run_id) FROM "
                                   "_reconciliation GROUP BY source)",
                                   10000));
  for (const auto& row : runs.rows) {
    LastReconciliation r{row[0].s, row[1].i, row[2].i, row[3].i, 0};
    if (auto at = ParseRfc3339(row[4].s); at.ok()) r.finished_at = *at;
    h.reconciliations.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(h.sla_breached,
                   Count(warehouse, "SELECT COUNT(*) FROM fact_sla WHERE status = 'breached'"));
  return h;
}

}  // namespace supportpipe::server
