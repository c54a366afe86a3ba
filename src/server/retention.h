// Retention ([retention], docs/security.md#retention): purges raw records, message bodies and
// dead letters older than the configured days, and says so in /metrics and the audit log.
//
//   Retention r(config.retention, log, warehouse, security, clock, metrics);
//   ASSIGN_OR_RETURN(Retention::Purged p, r.Run("retention"));
//
// `serve` runs it at start and every hour; `supportpipe retention run` runs it now.
// Thread-safety: one Run at a time per process (runs in several processes are harmless).
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "security/store.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

class Retention {
 public:
  Retention(const RetentionConfig& config, log::EventLog& log, warehouse::Warehouse& warehouse,
            security::Store& security, const Clock& clock, observe::Registry& metrics)
      : config_(config),
        log_(log),
        warehouse_(warehouse),
        security_(security),
        clock_(clock),
        metrics_(metrics) {}

  struct Purged {
    int64_t raw = 0;                 // raw records deleted
    int64_t log_messages = 0;        // events whose message body or CSAT comment was removed
    int64_t warehouse_messages = 0;  // fact_message bodies cleared
    int64_t dead_letters = 0;
  };

  // Purges what is past its time; records each kind purged in the audit log as `actor`.
  Result<Purged> Run(std::string_view actor);

 private:
  Status Record(std::string_view actor, std::string_view what, int64_t days, int64_t n);

  const RetentionConfig& config_;
  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  security::Store& security_;
  const Clock& clock_;
  observe::Registry& metrics_;
};

}  // namespace supportpipe::server
