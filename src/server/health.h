// The pipeline's health at one instant, read from the log and the warehouse: how far each
// consumer lags (in records and in seconds), how fresh the warehouse is, the dead letters,
// each destination's outbox, and the SLA clocks. Counts only, never personal data.
//
// One reading serves `supportpipe status` (the server may be down), the gauges of /metrics
// and the pipeline-health alerts.
//
//   ASSIGN_OR_RETURN(Health h, ReadHealth(log, warehouse, config, clock.Now()));
//   h.Lag("loader")->seconds;   // how long the oldest event not yet loaded has waited
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "log/event_log.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

struct ConsumerLag {
  std::string consumer;  // processor, loader, rules, dispatcher
  std::string stream;    // the log stream it reads: raw or events
  uint64_t records = 0;  // records after its position
  double seconds = 0;    // how long the first of them has waited; 0 when none
};

struct DestinationHealth {
  std::string name;
  int64_t pending = 0;
  int64_t dead = 0;
  double oldest_pending_s = 0;  // how long the oldest pending delivery has waited
};

struct LastReconciliation {
  std::string source;
  int64_t missing = 0, extra = 0, diverging = 0;
  TimeMicros finished_at = 0;
};

struct Health {
  TimeMicros at = 0;
  uint64_t raw_last = 0;  // the highest offset of each stream
  uint64_t events_last = 0;
  std::vector<ConsumerLag> lags;
  // When the newest loaded event was received (or derived); nullopt before the first.
  std::optional<TimeMicros> newest_loaded_received_at;
  int64_t dead_letters_open = 0;
  int64_t tickets = 0;
  int64_t sla_active = 0;    // running SLA instances
  int64_t sla_at_risk = 0;   // running instances past their warning instant
  int64_t sla_breached = 0;  // instances breached, all time
  std::vector<DestinationHealth> destinations;
  std::vector<LastReconciliation> reconciliations;  // the last run per source

  const ConsumerLag* Lag(std::string_view consumer) const;
  // Age of the newest loaded event in seconds; nullopt before the first.
  std::optional<double> FreshnessSeconds() const;
};

Result<Health> ReadHealth(log::EventLog& log, warehouse::Warehouse& warehouse, const Config& config,
                          TimeMicros now);

}  // namespace supportpipe::server
