// The configured schedules and the rule that picks one per ticket: the first
// [[schedule]] whose `when` matches the fields of the ticket's ticket.created (group,
// brand, channel), else [reporting] default_schedule ("always" = 24x7). A ticket keeps
// its schedule for life.
//
//   ASSIGN_OR_RETURN(auto schedules, Schedules::Create(config));
//   const Schedule& s = schedules->For(created_event.ticket);
#pragma once

#include <memory>
#include <vector>

#include "common/config.h"
#include "event/event.h"
#include "support/schedule.h"

namespace supportpipe::support {

class Schedules {
 public:
  // InvalidArgument naming the schedule and its line for an unknown zone or bad hours.
  static Result<std::unique_ptr<Schedules>> Create(const Config& config);
  // Only 24x7: for tests and tools without a config.
  static std::unique_ptr<Schedules> AlwaysOnly();

  const Schedule& For(const std::optional<event::Ticket>& created_ticket) const;

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
};

}  // namespace supportpipe::support
