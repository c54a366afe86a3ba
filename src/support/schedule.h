// Business-hours schedules: an IANA time zone, weekly opening intervals in local time and
// whole-day holidays (docs/metrics.md#business-time).
//
//   ASSIGN_OR_RETURN(Schedule s, Schedule::Create("emea", "Europe/Berlin",
//                                                 {"mon-fri 09:00-17:00"}, {"2026-12-25"}));
//   int64_t us = s.BusinessMicros(t1, t2);   // business time inside [t1, t2)
//
// Local times are turned into instants by cctz with the system's tzdata: a local time that
// does not exist (a spring-forward gap) moves forward by the gap (02:30 -> 03:30); an
// ambiguous one (the autumn overlap) takes its first occurrence.
// Immutable after construction; thread-safe.
#pragma once

#include <cctz/time_zone.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace supportpipe::support {

class Schedule {
 public:
  // 24x7: business time equals calendar time.
  static Schedule Always();
  // `hours`: entries like "mon-fri 09:00-17:00", "sat 10:00-14:00", "mon,wed 08:00-12:00",
  // "sun 22:00-06:00" (ends the next day). `holidays`: "YYYY-MM-DD" local dates.
  static Result<Schedule> Create(std::string name, const std::string& time_zone,
                                 const std::vector<std::string>& hours,
                                 const std::vector<std::string>& holidays);

  const std::string& name() const { return name_; }
  bool always() const { return always_; }

  // Microseconds of [t1, t2) inside opening intervals and outside holidays; 0 when
  // t2 <= t1.
  int64_t BusinessMicros(TimeMicros t1, TimeMicros t2) const;

  // The earliest instant t >= from with BusinessMicros(from, t) == micros; for due dates.
  TimeMicros AddBusiness(TimeMicros from, int64_t micros) const;

 private:
  struct Interval {
    int start_s;  // seconds after local midnight
    int end_s;    // exclusive, <= 86400
  };
  using Intervals = std::vector<std::pair<TimeMicros, TimeMicros>>;
  // The absolute opening intervals of one local day, in order.
  void DayIntervals(const cctz::civil_day& day, Intervals* out) const;
  // The same, remembered per thread (business time asks for the same days over and over):
  // valid until the next call on this thread.
  const Intervals& CachedDayIntervals(const cctz::civil_day& day) const;

  std::string name_;
  bool always_ = false;
  cctz::time_zone zone_;
  std::vector<Interval> weekly_[7];  // by cctz::weekday (monday = 0)
  std::set<cctz::civil_day> holidays_;
  uint64_t id_ = 0;  // set by Create; copies share it (and their days)
};

}  // namespace supportpipe::support
