// Reconciliation (docs/cli.md#reconcile): is the warehouse what the helpdesk says?
// The truth — a vendor's export file, or its API through the Sources connectors — is decoded
// exactly as the processor would, folded per ticket (created, status, messages), and
// compared with fact_ticket for the tickets created in [from, to): missing, extra and
// diverging tickets. With repair, the truth's items of the missing and diverging tickets go
// into the raw log like an import, so the normal pipeline backfills them; event ids name the
// facts, so nothing is doubled, however often a repair runs.
//
//   Reconciler r(log, warehouse, decoders, clock);
//   ASSIGN_OR_RETURN(ReconciliationRun run, r.Run(source, truth, from, to, /*repair=*/true));
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "sources/registry.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

// What the source of truth holds: items of one stored kind ("export:zendesk-tickets", ...).
struct Truth {
  std::string name;  // "api" or the file's path, for the record
  std::string kind;
  std::vector<std::string> items;
};

class Reconciler {
 public:
  Reconciler(log::EventLog& log, warehouse::Warehouse& warehouse,
             const sources::DecoderSet& decoders, const Clock& clock)
      : log_(log), warehouse_(warehouse), decoders_(decoders), clock_(clock) {}

  // Compares, repairs when asked, and records the run in _reconciliation.
  Result<warehouse::ReconciliationRun> Run(const SourceConfig& source, const Truth& truth,
                                           TimeMicros from, TimeMicros to, bool repair);

 private:
  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const sources::DecoderSet& decoders_;
  const Clock& clock_;
};

// The Zendesk API's tickets in [from, to) of updates, as a Truth (sources with api_url).
Result<Truth> ZendeskApiTruth(log::EventLog& log, const SourceConfig& source, TimeMicros from,
                              TimeMicros to);

}  // namespace supportpipe::server
