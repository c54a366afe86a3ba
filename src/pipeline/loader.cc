#include "pipeline/loader.h"

#include "event/codec.h"

namespace supportpipe::pipeline {

Loader::Loader(log::EventLog& log, warehouse::Warehouse& warehouse, const Clock& clock,
               observe::Registry& metrics, size_t batch_size)
    : log_(log),
      warehouse_(warehouse),
      clock_(clock),
      batch_size_(batch_size),
      loaded_latency_(observe::StageLatency(metrics, "loaded")),
      loaded_(metrics.GetCounter("supportpipe_loaded_events_total",
                                 "Events loaded into the warehouse.", {})) {}

Result<size_t> Loader::Step() {
  ASSIGN_OR_RETURN(const uint64_t pos, warehouse_.Position(kLoaderConsumer));
  ASSIGN_OR_RETURN(std::vector<log::EventRecord> batch, log_.ReadEvents(pos, batch_size_));
  if (batch.empty()) return size_t{0};
  std::vector<warehouse::LoadItem> items;
  items.reserve(batch.size());
  std::vector<log::DeadLetter> failures;
  for (log::EventRecord& rec : batch) {
    Result<event::Event> e = event::DecodeCanonical(rec.payload, {.trusted = true});
    if (!e.ok()) {
      // Our own stored form should always decode; if it does not, set it aside visibly
      // rather than stall every event behind it.
      log::DeadLetter d;
      d.stage = "load";
      d.reason = e.status().message();
      d.field = e.status().field();
      d.source = rec.source;
      d.raw_offset = rec.raw_offset;
      d.event_id = rec.event_id;
      d.created_at = clock_.Now();
      failures.push_back(std::move(d));
      continue;
    }
    items.push_back({rec.offset, rec.raw_offset, std::move(e).value()});
  }
  if (!failures.empty()) RETURN_IF_ERROR(log_.AddDeadLetters(failures));
  ASSIGN_OR_RETURN(warehouse::LoadStats stats,
                   warehouse_.Load(kLoaderConsumer, items, batch.back().offset));
  loaded_.Inc(static_cast<int64_t>(stats.inserted + stats.replaced));
  const TimeMicros now = clock_.Now();
  for (const auto& item : items) {
    if (item.event.received_at) loaded_latency_.Observe((now - item.event.received_at) / 1e6);
  }
  return batch.size();
}

}  // namespace supportpipe::pipeline
