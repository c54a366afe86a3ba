#include "pipeline/loader.h"

#include <map>

#include "event/codec.h"

namespace supportpipe::pipeline {

Loader::Loader(log::EventLog& log, warehouse::Warehouse& warehouse, const Clock& clock,
               observe::Registry& metrics, size_t batch_size)
    : log_(log),
      warehouse_(warehouse),
      clock_(clock),
      batch_size_(batch_size),
      metrics_(metrics),
      loaded_latency_(metrics, "loaded") {}

Result<size_t> Loader::Step() {
  ASSIGN_OR_RETURN(const uint64_t pos, warehouse_.Position(kLoaderConsumer));
  ASSIGN_OR_RETURN(std::vector<log::EventRecord> batch, log_.ReadEvents(pos, batch_size_));
  if (batch.empty()) return size_t{0};
  std::vector<warehouse::LoadItem> items;
  items.reserve(batch.size());
  std::vector<log::DeadLetter> failures;
  std::vector<std::string_view> sources;  // per item
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
    sources.push_back(rec.source);
  }
  if (!failures.empty()) RETURN_IF_ERROR(log_.AddDeadLetters(failures));
  RETURN_IF_ERROR(warehouse_.Load(kLoaderConsumer, items, batch.back().offset).status());
  const TimeMicros now = clock_.Now();
  std::map<std::string_view, int64_t> per_source;
  for (size_t i = 0; i < items.size(); ++i) {
    ++per_source[sources[i]];
    const TimeMicros received = items[i].event.received_at;
    if (received) loaded_latency_.Observe(sources[i], (now - received) / 1e6);
  }
  for (const auto& [source, n] : per_source) {
    metrics_
        .GetCounter("supportpipe_loaded_events_total",
                    "Events loaded into the warehouse (new, replacing, or found there already), "
                    "by source.",
                    {{"source", std::string(source)}})
        .Inc(n);
  }
  return batch.size();
}

}  // namespace supportpipe::pipeline
