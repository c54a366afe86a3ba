#include "triggers/surge_detector.h"

#include <fmt/format.h>

#include "event/codec.h"
#include "pipeline/derived.h"

namespace supportpipe::triggers {

SurgeDetector::SurgeDetector(log::EventLog& log, warehouse::Warehouse& warehouse,
                             const SurgeConfig& config, const Clock& clock,
                             observe::Registry& metrics)
    : log_(log),
      warehouse_(warehouse),
      config_(config),
      params_{config.bucket_s, config.half_life_buckets, config.threshold, config.min_count,
              config.cooldown_buckets},
      clock_(clock),
      metrics_(metrics) {}

Result<SurgeDetector::StepResult> SurgeDetector::Step() {
  StepResult out;
  if (config_.dimensions.empty()) return out;
  const TimeMicros now = clock_.Now();
  const int64_t bucket_us = config_.bucket_s * 1000000;
  const int64_t settle_us = config_.settle_s * 1000000;
  // The last bucket whose end, plus the settling time, has passed.
  const int64_t closed = (now - settle_us) / bucket_us - 1;
  auto next_turn = [&](int64_t judged) { return (judged + 2) * bucket_us + settle_us; };
  if (closed <= judged_through_) {
    out.next = next_turn(judged_through_);
    return out;
  }
  const bool rebuild = judged_through_ == std::numeric_limits<int64_t>::min();
  const int64_t from = rebuild ? 0 : judged_through_ + 1;
  std::vector<log::EventRecord> events;
  for (const std::string& dimension : config_.dimensions) {
    ASSIGN_OR_RETURN(std::vector<warehouse::CreationCount> counts,
                     warehouse_.CreationCounts(dimension, config_.bucket_s, from, closed));
    for (const warehouse::CreationCount& c : counts) {
      auto it = series_.find({dimension, c.value});
      if (it == series_.end()) {
        // A value's series starts at its first creation bucket.
        it =
            series_
                .emplace(std::make_pair(dimension, c.value), Series{SurgeSeries(params_), c.bucket})
                .first;
      }
      Series& s = it->second;
      if (c.bucket > s.next_bucket) s.series.SkipEmpty(c.bucket - s.next_bucket);
      std::optional<SurgeSignal> signal = s.series.Next(c.count);
      s.next_bucket = c.bucket + 1;
      if (!signal) continue;
      event::Event e;
      e.type = "surge.detected";
      e.source = "supportpipe";
      e.occurred_at = c.bucket * bucket_us;
      e.received_at = now;
      e.id = fmt::format("surge:{}:{}:{}", dimension, c.value, c.bucket * config_.bucket_s);
      e.surge = event::Surge{dimension, c.value,      e.occurred_at,    config_.bucket_s,
                             c.count,   signal->mean, signal->variance, signal->score};
      events.push_back(pipeline::DerivedRecord(e));
    }
    // Every value sees every bucket, empty ones included.
    for (auto& [key, s] : series_) {
      if (key.first != dimension || s.next_bucket > closed) continue;
      s.series.SkipEmpty(closed + 1 - s.next_bucket);
      s.next_bucket = closed + 1;
    }
  }
  if (!events.empty()) {
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(log_.AppendEvents(events, &results));
    for (const auto& r : results) out.appended += r.outcome == log::AppendOutcome::kAppended;
    metrics_.GetCounter("supportpipe_surges_total", "surge.detected events newly recorded.", {})
        .Inc(static_cast<int64_t>(out.appended));
  }
  judged_through_ = closed;
  out.next = next_turn(judged_through_);
  return out;
}

}  // namespace supportpipe::triggers
