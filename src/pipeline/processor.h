// The processor: raw log -> canonical event log, with failures in the dead-letter queue.
//
// It reads raw records after its cursor, decodes each with its source's decoder
// (sources/registry.h), validates the events,
// appends the good ones (de-duplicated by (source, event id): the first delivery wins),
// records every failure with its stage, reason and raw offset, and only then commits its
// cursor. Re-running a record (after a crash, `replay`, `dlq replay`) converges.
//
//   Processor p(log, decoders, clock, metrics);
//   while (*p.Step() > 0) {}            // drain the raw log
//   p.Replay("acme", from, to, nullptr); // re-run a time range through today's code
//
// Thread-safety: one thread calls Step at a time; Replay may run beside it.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "security/privacy.h"
#include "sources/registry.h"

namespace supportpipe::pipeline {

inline constexpr std::string_view kProcessorConsumer = "processor";

struct ProcessResult {
  size_t records = 0;     // raw records read
  size_t events = 0;      // events decoded and valid
  size_t appended = 0;    // new in the event log
  size_t duplicates = 0;  // already there (first delivery won)
  size_t replaced = 0;    // re-derived from the same raw record
  size_t ignored = 0;     // items that carry no support fact
  std::vector<log::DeadLetter> failures;
};

class Processor {
 public:
  // `privacy` (may be null: none) is applied to every event before it is appended.
  Processor(log::EventLog& log, const sources::DecoderSet& decoders, const Clock& clock,
            observe::Registry& metrics, const security::Privacy* privacy = nullptr,
            size_t batch_size = 1000);

  // Processes one batch after the cursor and commits the cursor. Returns the number of
  // raw records consumed; 0 means caught up.
  Result<size_t> Step();

  // Decodes, validates and appends the given raw records; failures go to the DLQ.
  // Does not move the cursor.
  Result<ProcessResult> Process(std::span<const log::RawRecord> records);

  // Re-processes the raw records of `source` received in [from, to). `progress` (may be
  // empty) is called after each batch with the running totals.
  Result<ProcessResult> Replay(std::string_view source, TimeMicros from, TimeMicros to,
                               const std::function<void(const ProcessResult&)>& progress);

  // Re-processes one dead letter's raw record. Returns true when it now passes (the entry
  // is then marked "replayed"), false when it still fails (it stays open, attempts + 1).
  Result<bool> ReplayDeadLetter(int64_t id);

 private:
  // Records the drift of newly appended events (in the log and in /metrics).
  Status RecordDrift(const std::vector<log::EventRecord>& events,
                     const std::vector<log::AppendResult>& results,
                     const std::vector<std::vector<std::string>>& drift);

  log::EventLog& log_;
  const sources::DecoderSet& decoders_;
  const Clock& clock_;
  const security::Privacy* privacy_;
  observe::Registry& metrics_;
  const size_t batch_size_;
  observe::StageLatency processed_latency_;
};

}  // namespace supportpipe::pipeline
