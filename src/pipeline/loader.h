// The warehouse loader: event log -> warehouse, one transaction per batch.
//
// Its position lives in the warehouse and commits with the rows, so a crash between
// "rows written" and "position saved" cannot happen: loading is exactly-once in effect.
//
//   Loader l(log, warehouse, clock, metrics);
//   while (*l.Step() > 0) {}
//
// Thread-safety: one thread calls Step at a time.
#pragma once

#include "common/clock.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "warehouse/warehouse.h"

namespace supportpipe::pipeline {

inline constexpr std::string_view kLoaderConsumer = "loader";

class Loader {
 public:
  Loader(log::EventLog& log, warehouse::Warehouse& warehouse, const Clock& clock,
         observe::Registry& metrics, size_t batch_size = 5000);

  // Loads one batch after the warehouse position. Returns the number of events read;
  // 0 means caught up.
  Result<size_t> Step();

 private:
  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Clock& clock_;
  const size_t batch_size_;
  observe::Registry& metrics_;
  observe::StageLatency loaded_latency_;
};

}  // namespace supportpipe::pipeline
