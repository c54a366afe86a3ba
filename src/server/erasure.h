// Erasure (GDPR/CCPA; docs/security.md#erasure): one person's data removed or anonymised
// wherever it lives — raw log, event log, dead letters, outbox, warehouse — with a receipt.
//
//   Eraser e(config, log, warehouse, security, clock);
//   ASSIGN_OR_RETURN(ErasureReceipt r, e.Erase({.email = "ana@example.com"}, "cli:ops"));
//   print(r.Json());
//
// Metric rows stay, with the person's identifiers replaced by "erased:<erasure id>". Raw
// records that held the person's data are deleted, so a replay cannot bring it back.
// Thread-safety: one Erase at a time per process.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "security/store.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

struct ErasureRequest {
  std::string customer_id;  // or
  std::string email;        // or
  std::string person;       // a person key ([identity]): every record linked to it
  std::string source;       // "" = every source
};

struct ErasureReceipt {
  std::string id;  // "er_" + 16 hex digits
  TimeMicros at = 0;
  int64_t customers = 0;  // (source, customer id) pairs found
  int64_t tickets = 0;    // tickets they requested
  int64_t events = 0;     // event-log events rewritten
  int64_t raw_records = 0;
  int64_t dead_letters = 0;
  int64_t deliveries = 0;
  warehouse::ErasureCounts warehouse;
  std::string Json() const;
};

class Eraser {
 public:
  Eraser(const Config& config, log::EventLog& log, warehouse::Warehouse& warehouse,
         security::Store& security, const Clock& clock)
      : config_(config), log_(log), warehouse_(warehouse), security_(security), clock_(clock) {}

  // NotFound when no customer matches. The receipt is recorded in the audit log as `actor`
  // (without the person's identifiers).
  Result<ErasureReceipt> Erase(const ErasureRequest& request, std::string_view actor);

 private:
  const Config& config_;
  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  security::Store& security_;
  const Clock& clock_;
};

}  // namespace supportpipe::server
