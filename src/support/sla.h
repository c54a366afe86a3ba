// SLA instances of a ticket (docs/metrics.md#sla-policies-and-clocks), derived from its
// timeline like the other metrics: a pure function of the events, the policies, the
// ticket's schedule and the current time (for running clocks).
//
//   std::vector<SlaInstance> rows = ComputeSla(timeline, policies, schedule, tier, now);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "event/event.h"
#include "support/schedule.h"

namespace supportpipe::support {

inline constexpr const char* kSlaMetrics[] = {"first_reply_time", "next_reply_time",
                                              "requester_wait_time", "agent_work_time",
                                              "total_resolution_time"};

// A configured [[sla_policy]]: conditions, calendar or business time, and targets (in
// seconds) by metric and priority.
using SlaPolicy = SlaPolicyConfig;

struct SlaInstance {
  std::string policy;
  std::string metric;
  int instance = 0;  // 1, 2, ... per metric
  int64_t target_s = 0;
  bool business_hours = false;
  TimeMicros applied_at = 0;
  std::optional<TimeMicros> due_at;  // while active; = breached_at once breached
  std::optional<TimeMicros> fulfilled_at;
  std::optional<TimeMicros> breached_at;
  // When the elapsed time reaches the policy's warning fraction of the target: the
  // instant it did (before the instance was fulfilled or breached), or the predicted one
  // while active; unset otherwise.
  std::optional<TimeMicros> warning_at;
  int64_t elapsed_s = 0;  // at fulfilment, else as of `now`
  std::string status;     // active | paused | fulfilled | breached
};

// `customer_tier`: the tier that applies to the ticket (see docs), or nullopt.
std::vector<SlaInstance> ComputeSla(const std::vector<event::Event>& timeline,
                                    const std::vector<SlaPolicy>& policies,
                                    const Schedule& schedule,
                                    const std::optional<std::string>& customer_tier,
                                    TimeMicros now);

}  // namespace supportpipe::support
