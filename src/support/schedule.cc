#include "support/schedule.h"

#include <cctz/civil_time.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_map>

namespace supportpipe::support {
namespace {

using std::chrono::microseconds;
using std::chrono::system_clock;

constexpr const char* kDays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int DayIndex(std::string_view d) {
  for (int i = 0; i < 7; ++i) {
    if (d == kDays[i]) return i;
  }
  return -1;
}

int WeekdayIndex(cctz::weekday w) {
  switch (w) {
    case cctz::weekday::monday:
      return 0;
    case cctz::weekday::tuesday:
      return 1;
    case cctz::weekday::wednesday:
      return 2;
    case cctz::weekday::thursday:
      return 3;
    case cctz::weekday::friday:
      return 4;
    case cctz::weekday::saturday:
      return 5;
    case cctz::weekday::sunday:
      return 6;
  }
  return 0;
}

// "HH:MM" -> seconds after midnight (24:00 allowed), or -1.
int ClockSeconds(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  const int h = digit(0) * 10 + digit(1);
  const int m = digit(3) * 10 + digit(4);
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 3600 + m * 60;
}

TimeMicros ToMicros(const system_clock::time_point& tp) {
  return std::chrono::duration_cast<microseconds>(tp.time_since_epoch()).count();
}

system_clock::time_point FromMicros(TimeMicros t) {
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(microseconds(t)));
}

}  // namespace

Schedule Schedule::Always() {
  Schedule s;
  s.name_ = "always";
  s.always_ = true;
  s.zone_ = cctz::utc_time_zone();
  return s;
}

Result<Schedule> Schedule::Create(std::string name, const std::string& time_zone,
                                  const std::vector<std::string>& hours,
                                  const std::vector<std::string>& holidays) {
  static std::atomic<uint64_t> next_id{1};
  Schedule s;
  s.id_ = next_id++;
  s.name_ = std::move(name);
  if (!cctz::load_time_zone(time_zone, &s.zone_)) {
    return InvalidArgument(fmt::format(
        "\"{}\" is not a time zone of the system's tzdata (e.g. \"Europe/Berlin\")", time_zone));
  }
  if (hours.empty()) return InvalidArgument("hours: at least one entry is needed");
  for (const std::string& h : hours) {
    const size_t sp = h.find(' ');
    const auto bad = [&] {
      return InvalidArgument(
          fmt::format("hours: \"{}\" must look like \"mon-fri 09:00-17:00\"", h));
    };
    if (sp == std::string::npos) return bad();
    std::string_view days(h.data(), sp), times(h.data() + sp + 1, h.size() - sp - 1);
    const size_t dash = times.find('-');
    if (dash == std::string_view::npos) return bad();
    const int start = ClockSeconds(times.substr(0, dash));
    const int end = ClockSeconds(times.substr(dash + 1));
    if (start < 0 || end < 0 || start == end || start == 86400) return bad();
    std::vector<int> which;
    size_t pos = 0;
    while (pos <= days.size()) {
      size_t comma = days.find(',', pos);
      if (comma == std::string_view::npos) comma = days.size();
      std::string_view part = days.substr(pos, comma - pos);
      pos = comma + 1;
      const size_t range = part.find('-');
      const int a = DayIndex(part.substr(0, range));
      const int b = range == std::string_view::npos ? a : DayIndex(part.substr(range + 1));
      if (a < 0 || b < 0) return bad();
      for (int d = a;; d = (d + 1) % 7) {
        which.push_back(d);
        if (d == b) break;
      }
    }
    for (int d : which) {
      if (start < end) {
        s.weekly_[d].push_back({start, end});
      } else {  // overnight: until midnight, then the next day from midnight
        s.weekly_[d].push_back({start, 86400});
        if (end > 0) s.weekly_[(d + 1) % 7].push_back({0, end});
      }
    }
  }
  for (auto& day : s.weekly_) {
    std::sort(day.begin(), day.end(),
              [](const Interval& a, const Interval& b) { return a.start_s < b.start_s; });
    // Merge overlaps so that no second is counted twice.
    std::vector<Interval> merged;
    for (const Interval& i : day) {
      if (!merged.empty() && i.start_s <= merged.back().end_s) {
        merged.back().end_s = std::max(merged.back().end_s, i.end_s);
      } else {
        merged.push_back(i);
      }
    }
    day = std::move(merged);
  }
  for (const std::string& d : holidays) {
    int y = 0, m = 0, day = 0;
    if (d.size() != 10 || std::sscanf(d.c_str(), "%4d-%2d-%2d", &y, &m, &day) != 3 || d[4] != '-' ||
        d[7] != '-') {
      return InvalidArgument(fmt::format("holidays: \"{}\" must be YYYY-MM-DD", d));
    }
    const cctz::civil_day cd(y, m, day);
    if (cd.year() != y || cd.month() != m || cd.day() != day) {
      return InvalidArgument(fmt::format("holidays: \"{}\" is not a date", d));
    }
    s.holidays_.insert(cd);
  }
  return s;
}

void Schedule::DayIntervals(const cctz::civil_day& day, Intervals* out) const {
  out->clear();
  if (holidays_.count(day)) return;
  for (const Interval& i : weekly_[WeekdayIndex(cctz::get_weekday(day))]) {
    const cctz::civil_second start = cctz::civil_second(day) + i.start_s;
    const cctz::civil_second end = cctz::civil_second(day) + i.end_s;
    // `pre` (the pre-transition offset) moves a skipped local time forward by the gap and
    // picks an ambiguous one's first occurrence. (cctz::convert maps skipped times to the
    // transition instant instead.)
    const TimeMicros a = ToMicros(zone_.lookup(start).pre);
    const TimeMicros b = ToMicros(zone_.lookup(end).pre);
    if (b > a) out->emplace_back(a, b);
  }
}

const Schedule::Intervals& Schedule::CachedDayIntervals(const cctz::civil_day& day) const {
  thread_local std::unordered_map<uint64_t, Intervals> cache;  // (schedule, day) -> intervals
  if (cache.size() > 16384) cache.clear();
  const uint64_t key = (id_ << 32) ^ static_cast<uint32_t>(day - cctz::civil_day(1970, 1, 1));
  auto [it, added] = cache.try_emplace(key);
  if (added) DayIntervals(day, &it->second);
  return it->second;
}

int64_t Schedule::BusinessMicros(TimeMicros t1, TimeMicros t2) const {
  if (t2 <= t1) return 0;
  if (always_) return t2 - t1;
  const cctz::civil_day first = cctz::civil_day(cctz::convert(FromMicros(t1), zone_));
  const cctz::civil_day last = cctz::civil_day(cctz::convert(FromMicros(t2), zone_));
  int64_t total = 0;
  // One day either side: an overnight interval or a zone shift may reach across midnight.
  for (cctz::civil_day d = first - 1; d <= last + 1; ++d) {
    for (const auto& [a, b] : CachedDayIntervals(d)) {
      const TimeMicros lo = std::max(a, t1), hi = std::min(b, t2);
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

TimeMicros Schedule::AddBusiness(TimeMicros from, int64_t micros) const {
  if (micros <= 0) return from;
  if (always_) return from + micros;
  bool any = false;
  for (const auto& day : weekly_) any = any || !day.empty();
  if (!any) return from;  // never open: unreachable; callers check Create's hours
  int64_t left = micros;
  for (cctz::civil_day d = cctz::civil_day(cctz::convert(FromMicros(from), zone_)) - 1;; ++d) {
    for (const auto& [a, b] : CachedDayIntervals(d)) {
      const TimeMicros lo = std::max(a, from);
      if (b <= lo) continue;
      if (b - lo >= left) return lo + left;
      left -= b - lo;
    }
  }
}

}  // namespace supportpipe::support
