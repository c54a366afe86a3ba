// Runs the processor and loader for a one-shot command (import, replay, dlq replay)
// until the warehouse has caught up, or waits for a running server to do it.
#pragma once

#include <memory>

#include "cli/cli_util.h"
#include "common/clock.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "server/worker.h"
#include "support/policies.h"
#include "warehouse/warehouse.h"

namespace supportpipe::cli {

class PipelineDriver {
 public:
  static Result<std::unique_ptr<PipelineDriver>> Open(const Config& config);
  ~PipelineDriver();

  log::EventLog& log() { return *log_; }
  warehouse::Warehouse& warehouse() { return *warehouse_; }
  server::Worker& worker() { return *worker_; }
  const sources::DecoderSet& decoders() { return *decoders_; }
  const SystemClock& clock() const { return clock_; }
  // True when this process runs the stages; false when a server holds the worker lock.
  bool local() const { return local_; }
  // Blocks until every raw record is processed and loaded, showing progress.
  Status WaitUntilLoaded();

 private:
  PipelineDriver() = default;
  Config config_;  // the worker reads it for its whole life
  SystemClock clock_;
  observe::Registry metrics_;
  std::unique_ptr<support::Policies> policies_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> warehouse_;
  std::unique_ptr<sources::DecoderSet> decoders_;
  std::unique_ptr<server::Worker> worker_;
  bool local_ = false;
};

}  // namespace supportpipe::cli
