// The surge detector stage: closed time buckets of the warehouse's ticket creations ->
// derived surge.detected events in the event log (docs/metrics.md#surge-detection).
//
// A bucket is judged once the clock passes its end plus [surge] settle_s, for every value of
// every configured dimension, through one SurgeSeries per value kept in memory. The first
// step after a start replays the whole history to rebuild them; the event ids
// ("surge:<dimension>:<value>:<bucket start>") make a signal found again append nothing, so
// each surge is recorded once. Signals come from counts in the warehouse, on event time:
// a replay gives the same ones.
//
//   SurgeDetector d(log, warehouse, config.surge, clock, metrics);
//   ASSIGN_OR_RETURN(SurgeDetector::StepResult r, d.Step());  // r.next: the next bucket's turn
//
// Thread-safety: one thread calls Step at a time.
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "triggers/surge.h"
#include "warehouse/warehouse.h"

namespace supportpipe::triggers {

class SurgeDetector {
 public:
  SurgeDetector(log::EventLog& log, warehouse::Warehouse& warehouse, const SurgeConfig& config,
                const Clock& clock, observe::Registry& metrics);

  struct StepResult {
    size_t appended = 0;             // surge.detected events new in the log
    std::optional<TimeMicros> next;  // when the next bucket can be judged
  };
  Result<StepResult> Step();

 private:
  struct Series {
    SurgeSeries series;
    int64_t next_bucket = 0;  // the next bucket to feed it
  };

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const SurgeConfig& config_;
  SurgeParams params_;
  const Clock& clock_;
  observe::Registry& metrics_;
  std::map<std::pair<std::string, std::string>, Series> series_;  // (dimension, value)
  int64_t judged_through_ = std::numeric_limits<int64_t>::min();  // last bucket judged
};

}  // namespace supportpipe::triggers
