#include "cli/pipeline_driver.h"

#include <thread>

#include "pipeline/sla_clock.h"
#include "server/backends.h"
#include "triggers/rule_runner.h"

namespace supportpipe::cli {

Result<std::unique_ptr<PipelineDriver>> PipelineDriver::Open(const Config& config) {
  std::unique_ptr<PipelineDriver> d(new PipelineDriver());
  ASSIGN_OR_RETURN(d->log_, server::OpenEventLog(config));
  ASSIGN_OR_RETURN(d->policies_, support::Policies::Create(config));
  ASSIGN_OR_RETURN(d->warehouse_,
                   server::OpenWarehouse(config.storage, d->clock_, false, d->policies_.get()));
  ASSIGN_OR_RETURN(d->decoders_, sources::DecoderSet::Create(config.sources));
  d->config_ = config;
  RETURN_IF_ERROR(server::Worker::Validate(d->config_));
  d->worker_ = std::make_unique<server::Worker>(*d->log_, *d->warehouse_, *d->decoders_, d->clock_,
                                                d->metrics_, d->config_);
  d->local_ = d->worker_->TryActivate();
  if (d->local_) d->worker_->Start();
  return d;
}

PipelineDriver::~PipelineDriver() {
  if (worker_) worker_->Stop();
}

Status PipelineDriver::WaitUntilLoaded() {
  ASSIGN_OR_RETURN(const log::Offset raw_target, log_->LastOffset("raw"));
  Progress progress(local_ ? "records processed" : "records processed by the running server",
                    raw_target);
  for (;;) {
    ASSIGN_OR_RETURN(const log::Offset cursor, log_->GetCursor("processor"));
    progress.Update(cursor, cursor);
    if (cursor >= raw_target) break;
    if (local_) worker_->NotifyRaw();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Loaded, the rules have judged it, and the SLA clocks have read what the loads
  // re-derived; the events of both are
  // loaded in turn, until the log stops growing.
  for (;;) {
    ASSIGN_OR_RETURN(const log::Offset event_target, log_->LastOffset("events"));
    for (;;) {
      ASSIGN_OR_RETURN(const uint64_t pos, warehouse_->Position("loader"));
      ASSIGN_OR_RETURN(const bool clocks, pipeline::SlaClocksCaughtUp(*log_, *warehouse_));
      ASSIGN_OR_RETURN(const log::Offset rules, log_->GetCursor(triggers::kRulesConsumer));
      if (pos >= event_target && clocks && rules >= event_target) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSIGN_OR_RETURN(const log::Offset after, log_->LastOffset("events"));
    if (after == event_target) break;
  }
  progress.Finish();
  return Status::Ok();
}

}  // namespace supportpipe::cli
