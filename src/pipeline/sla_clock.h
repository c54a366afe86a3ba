// The live SLA clocks: fact_sla rows -> derived sla.* events, at the right instants.
//
// The loader re-derives a touched ticket's SLA instances (fact_sla) from its whole
// timeline. This stage reads the rows each load re-derived, appends to the event log the
// sla.applied, sla.warning, sla.breached and sla.fulfilled events whose instants have
// passed, and keeps a timer for those still ahead, so that a breach is recorded at its
// instant even when no event arrives. Each event's id names its fact
// ("<ticket>:sla:<metric>:<n>:breached"), and the log keeps the first event with an id,
// so every one happens once: re-reading rows after a crash, rebuilding the timers at
// start, or a timer firing for a row that moved on append nothing new.
//
//   SlaClock c(log, warehouse, clock, metrics);
//   ASSIGN_OR_RETURN(SlaClock::StepResult r, c.Step());   // r.next: when to step again
//
// Thread-safety: one thread calls Step at a time.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "warehouse/warehouse.h"

namespace supportpipe::pipeline {

// Where the clock's position (the change_seq of the last fact_sla rows read) is kept.
inline constexpr std::string_view kSlaClockState = "sla_clock";

// Whether the SLA clocks have read every fact_sla row the loads re-derived (their events are
// then in the log). For one-shot commands that wait for the pipeline to settle.
Result<bool> SlaClocksCaughtUp(log::EventLog& log, warehouse::Warehouse& warehouse);

class SlaClock {
 public:
  SlaClock(log::EventLog& log, warehouse::Warehouse& warehouse, const Clock& clock,
           observe::Registry& metrics);

  struct StepResult {
    size_t rows = 0;                 // fact_sla rows looked at
    size_t appended = 0;             // derived events new in the log
    std::optional<TimeMicros> next;  // the next timer, if any
  };

  // Rebuilds the timers on the first call; then reads the rows re-derived since the last
  // step (one load's worth) and fires the timers that came due.
  Result<StepResult> Step();

  size_t timers() const { return timers_.size(); }

 private:
  // Adds to `out` every derived event of `row` whose instant is at or before `now`, and
  // sets timers for the instants still ahead.
  void Collect(const warehouse::SlaRow& row, TimeMicros now, std::vector<log::EventRecord>* out);
  Result<size_t> Append(const std::vector<log::EventRecord>& events);

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Clock& clock_;
  observe::Registry& metrics_;
  bool rebuilt_ = false;
  uint64_t position_ = 0;
  // (instant, source, ticket): when to look at a ticket's rows again.
  std::set<std::tuple<TimeMicros, std::string, std::string>> timers_;
};

}  // namespace supportpipe::pipeline
