#include "pipeline/processor.h"

#include <algorithm>
#include <array>
#include <map>

#include "event/codec.h"

namespace supportpipe::pipeline {
namespace {

constexpr std::string_view kStageDecode = "decode";      // the body as a whole is unusable
constexpr std::string_view kStageValidate = "validate";  // one event breaks the contract

log::DeadLetter Letter(const log::RawRecord& r, std::string_view stage, int64_t item,
                       const Status& st, TimeMicros now) {
  log::DeadLetter d;
  d.stage = stage;
  d.reason = st.message();
  d.field = st.field();
  d.source = r.source;
  d.raw_offset = r.offset;
  d.item = item;
  d.created_at = now;
  return d;
}

}  // namespace

Processor::Processor(log::EventLog& log, const sources::DecoderSet& decoders, const Clock& clock,
                     observe::Registry& metrics, const security::Privacy* privacy,
                     size_t batch_size)
    : log_(log),
      decoders_(decoders),
      clock_(clock),
      privacy_(privacy && privacy->active() ? privacy : nullptr),
      metrics_(metrics),
      batch_size_(batch_size),
      processed_latency_(metrics, "processed") {}

Result<size_t> Processor::Step() {
  ASSIGN_OR_RETURN(const log::Offset cursor, log_.GetCursor(kProcessorConsumer));
  ASSIGN_OR_RETURN(std::vector<log::RawRecord> batch, log_.ReadRaw(cursor, batch_size_));
  if (batch.empty()) return size_t{0};
  ASSIGN_OR_RETURN(ProcessResult r, Process(batch));
  RETURN_IF_ERROR(log_.CommitCursor(kProcessorConsumer, batch.back().offset));
  const TimeMicros now = clock_.Now();
  for (const auto& rec : batch)
    processed_latency_.Observe(rec.source, (now - rec.received_at) / 1e6);
  return batch.size();
}

Result<ProcessResult> Processor::Process(std::span<const log::RawRecord> records) {
  ProcessResult out;
  out.records = records.size();
  const TimeMicros now = clock_.Now();
  std::vector<log::EventRecord> events;
  std::vector<std::vector<std::string>> drift;  // per event
  std::array<int64_t, 6> redacted{};            // per kind of personal data
  for (const log::RawRecord& r : records) {
    const sources::Decoder& decoder = decoders_.For(r.source, r.vendor, r.kind);
    sources::Decoded d = decoder.Decode({.source = r.source,
                                         .kind = r.kind,
                                         .headers = r.headers,
                                         .body = r.body,
                                         .received_at = r.received_at});
    if (!d.error.ok()) {
      out.failures.push_back(Letter(r, kStageDecode, -1, d.error, now));
      continue;
    }
    if (d.ignored) {
      out.ignored += d.ignored;
      metrics_
          .GetCounter("supportpipe_ignored_items_total",
                      "Delivered items that carry no support fact, by source.",
                      {{"source", r.source}})
          .Inc(d.ignored);
    }
    for (sources::DecodedItem& item : d.items) {
      Status st = item.status;
      if (st.ok()) {
        // The clock check uses the receipt time, so a replay judges an event as intake did.
        st = event::CheckEvent(&item.event, {.now = r.received_at});
      }
      if (!st.ok()) {
        out.failures.push_back(Letter(r, kStageValidate, item.index, st, now));
        continue;
      }
      event::Event& e = item.event;
      e.source = r.source;
      e.received_at = r.received_at;
      if (privacy_) privacy_->Apply(e, &redacted);
      log::EventRecord rec;
      rec.source = r.source;
      rec.event_id = e.id;
      rec.ticket_id = std::string(e.TicketId());
      rec.type = e.type;
      rec.occurred_at = e.occurred_at;
      rec.raw_offset = r.offset;
      rec.payload = event::EncodeEvent(e);
      events.push_back(std::move(rec));
      drift.push_back(std::move(e.drift));
      ++out.events;
    }
  }
  for (size_t k = 0; k < redacted.size(); ++k) {
    if (!redacted[k]) continue;
    metrics_
        .GetCounter("supportpipe_redactions_total",
                    "Personal data replaced in free text before the event log, by kind.",
                    {{"kind", security::PiiKinds()[k]}})
        .Inc(redacted[k]);
  }
  if (!events.empty()) {
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(log_.AppendEvents(events, &results));
    for (size_t i = 0; i < results.size(); ++i) {
      const char* outcome = "appended";
      switch (results[i].outcome) {
        case log::AppendOutcome::kAppended:
          ++out.appended;
          break;
        case log::AppendOutcome::kDuplicate:
          ++out.duplicates;
          outcome = "duplicate";
          break;
        case log::AppendOutcome::kReplaced:
          ++out.replaced;
          outcome = "replaced";
          break;
      }
      metrics_
          .GetCounter("supportpipe_processed_events_total",
                      "Events the processor wrote to the event log, by outcome.",
                      {{"source", events[i].source}, {"outcome", outcome}})
          .Inc();
    }
    RETURN_IF_ERROR(RecordDrift(events, results, drift));
  }
  if (!out.failures.empty()) {
    RETURN_IF_ERROR(log_.AddDeadLetters(out.failures));
    for (const auto& f : out.failures) {
      metrics_
          .GetCounter("supportpipe_dead_letters_total", "Records sent to the dead-letter queue.",
                      {{"source", f.source}, {"stage", f.stage}})
          .Inc();
    }
  }
  return out;
}

Status Processor::RecordDrift(const std::vector<log::EventRecord>& events,
                              const std::vector<log::AppendResult>& results,
                              const std::vector<std::vector<std::string>>& drift) {
  // Counted once per event: duplicates and replays of an event already counted add nothing.
  std::map<std::pair<std::string, std::string>, log::DriftField> seen;
  for (size_t i = 0; i < events.size(); ++i) {
    if (results[i].outcome != log::AppendOutcome::kAppended) continue;
    for (const std::string& field : drift[i]) {
      log::DriftField& f = seen[{events[i].source, field}];
      if (f.count == 0) {
        f.source = events[i].source;
        f.field = field;
        f.first_seen = events[i].occurred_at;
      }
      ++f.count;
      f.first_seen = std::min(f.first_seen, events[i].occurred_at);
      if (events[i].occurred_at >= f.last_seen) {
        f.last_seen = events[i].occurred_at;
        f.last_event_id = events[i].event_id;
      }
    }
  }
  if (seen.empty()) return Status::Ok();
  std::vector<log::DriftField> list;
  for (auto& [key, f] : seen) {
    metrics_
        .GetCounter("supportpipe_schema_drift_fields_total",
                    "Fields outside a source's known shape, kept under attributes, by source and "
                    "field.",
                    {{"source", f.source}, {"field", f.field}})
        .Inc(f.count);
    list.push_back(std::move(f));
  }
  return log_.RecordDrift(list);
}

Result<ProcessResult> Processor::Replay(std::string_view source, TimeMicros from, TimeMicros to,
                                        const std::function<void(const ProcessResult&)>& progress) {
  ProcessResult total;
  log::Offset after = 0;
  for (;;) {
    ASSIGN_OR_RETURN(auto batch, log_.FindRaw(source, from, to, after, batch_size_));
    if (batch.empty()) break;
    after = batch.back().offset;
    ASSIGN_OR_RETURN(ProcessResult r, Process(batch));
    total.records += r.records;
    total.events += r.events;
    total.appended += r.appended;
    total.duplicates += r.duplicates;
    total.replaced += r.replaced;
    total.ignored += r.ignored;
    total.failures.insert(total.failures.end(), r.failures.begin(), r.failures.end());
    if (progress) progress(total);
  }
  return total;
}

Result<bool> Processor::ReplayDeadLetter(int64_t id) {
  ASSIGN_OR_RETURN(std::optional<log::DeadLetter> dl, log_.GetDeadLetter(id));
  if (!dl) return NotFound("no dead letter with id " + std::to_string(id));
  ASSIGN_OR_RETURN(std::optional<log::RawRecord> raw, log_.GetRaw(dl->raw_offset));
  if (!raw) return NotFound("the raw record of dead letter " + std::to_string(id) + " is gone");
  const std::vector<log::RawRecord> one = {*raw};
  ASSIGN_OR_RETURN(ProcessResult r, Process(one));
  for (const auto& f : r.failures) {
    if (f.stage == dl->stage && f.item == dl->item) return false;
  }
  RETURN_IF_ERROR(log_.SetDeadLetterState(id, "replayed"));
  return true;
}

}  // namespace supportpipe::pipeline
