// How tickets are measured, from the config: the schedules and the rule that picks one
// per ticket (the first [[schedule]] whose `when` matches the fields of the ticket's
// ticket.created: group, brand, channel; else [reporting] default_schedule, "always" =
// 24x7; a ticket keeps its schedule for life), the SLA policies in their order, and the
// reporting time zone.
//
//   ASSIGN_OR_RETURN(auto policies, Policies::Create(config));
//   const Schedule& s = policies->For(created_event.ticket);
//   ComputeSla(timeline, policies->sla(), s, tier, now);
#pragma once

#include <memory>
#include <vector>

#include "common/config.h"
#include "event/event.h"
#include "support/schedule.h"
#include "support/sla.h"

namespace supportpipe::support {

class Policies {
 public:
  // InvalidArgument naming the schedule and its line for an unknown zone or bad hours.
  static Result<std::unique_ptr<Policies>> Create(const Config& config);
  // Only 24x7: for tests and tools without a config.
  static std::unique_ptr<Policies> AlwaysOnly();

  const Schedule& For(const std::optional<event::Ticket>& created_ticket) const;

  const std::vector<SlaPolicy>& sla() const { return sla_; }
  // Whether some SLA policy has a customer_tier condition (then a ticket's SLA depends on
  // its requester's profile too).
  bool sla_uses_tier() const { return sla_uses_tier_; }

  // [privacy.consent.*] rules, and a text that changes whenever they change.
  const std::vector<ConsentRule>& consent() const { return consent_; }
  const IdentityConfig& identity() const { return identity_; }
  std::string ConsentFingerprint() const;

  // The local date ("YYYY-MM-DD") of an instant in [reporting] time_zone: the day the daily
  // views count it in (days are half-open: midnight belongs to the new day).
  std::string ReportingDay(TimeMicros t) const;

 private:
  struct Entry {
    ScheduleConfig config;
    Schedule schedule;
  };
  std::vector<Entry> entries_;
  Schedule always_ = Schedule::Always();
  cctz::time_zone reporting_zone_ = cctz::utc_time_zone();
  const Schedule* default_ = nullptr;
  std::vector<SlaPolicy> sla_;
  bool sla_uses_tier_ = false;
  std::vector<ConsentRule> consent_;
  IdentityConfig identity_;
};

}  // namespace supportpipe::support
