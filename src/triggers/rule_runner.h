// The rules stage: event log (as loaded) -> rule actions, recorded as canonical events.
//
// It reads each ticket event once the loader has loaded it, rebuilds the ticket's state as
// it stood right after that event (its stored timeline, folded up to the event), and judges
// it by the rules (rules.h). What a rule does is recorded as an event the warehouse loads
// like any other, with attributes naming the rule and the event that set it off:
//
//   ticket.updated   id "<trigger id>:rule:<nnn>:<rule>"  tags, priority, group changes
//   ticket.escalated id "<ticket>:escalated:<rule>"        once per ticket and rule
//
// Ids name the fact and such events are never replaced in the log, so a crash, a restart
// or a replay records each action once. A ticket whose state a rule changed is not judged
// again until the loader has loaded that change, so the next event sees it. Rules apply to
// what arrives after they are configured (the first step starts at the loader's position).
//
//   RuleRunner r(log, warehouse, rules, clock, metrics);
//   ASSIGN_OR_RETURN(RuleRunner::StepResult s, r.Step());
//
// Thread-safety: one thread calls Step at a time.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "triggers/rules.h"
#include "warehouse/warehouse.h"

namespace supportpipe::triggers {

inline constexpr std::string_view kRulesConsumer = "rules";

class RuleRunner {
 public:
  // `rules` must outlive the runner.
  RuleRunner(log::EventLog& log, warehouse::Warehouse& warehouse, const Rules& rules,
             const Clock& clock, observe::Registry& metrics)
      : log_(log), warehouse_(warehouse), rules_(rules), clock_(clock), metrics_(metrics) {}

  struct StepResult {
    size_t read = 0;      // events judged or passed over
    size_t appended = 0;  // rule events new in the log
  };

  // Judges one batch of loaded events and commits the position. read == 0: caught up (or
  // waiting for the loader).
  Result<StepResult> Step();

 private:
  struct Recorded {
    log::EventRecord record;
    const RuleConfig* rule;
  };
  // The events recording `actions`, which rules took on `e`; `ticket` is the state after them.
  static std::vector<Recorded> Record(const event::Event& e, const std::vector<RuleAction>& actions,
                                      const warehouse::TicketState& ticket,
                                      const std::optional<std::string>& tier, TimeMicros now);

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Rules& rules_;
  const Clock& clock_;
  observe::Registry& metrics_;
  // The loader must reach this offset (the rules' latest state change) before the next batch.
  std::optional<log::Offset> wait_for_;
};

}  // namespace supportpipe::triggers
