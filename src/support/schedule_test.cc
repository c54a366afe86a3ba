#include "support/schedule.h"

#include <gtest/gtest.h>

namespace supportpipe::support {
namespace {

TimeMicros At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }
constexpr int64_t kHour = 3600LL * 1000000;

Schedule Berlin(std::vector<std::string> holidays = {}) {
  return std::move(Schedule::Create("emea", "Europe/Berlin", {"mon-fri 09:00-17:00"}, holidays))
      .value();
}

TEST(ScheduleTest, AcrossAWeekend) {
  // Fri 2026-11-27 16:00 Berlin (15:00Z) -> Mon 2026-11-30 10:00 Berlin (09:00Z): 1 h + 1 h.
  EXPECT_EQ(Berlin().BusinessMicros(At("2026-11-27T15:00:00Z"), At("2026-11-30T09:00:00Z")),
            2 * kHour);
  EXPECT_EQ(
      Schedule::Always().BusinessMicros(At("2026-11-27T15:00:00Z"), At("2026-11-30T09:00:00Z")),
      66 * kHour);
  EXPECT_EQ(Berlin().BusinessMicros(At("2026-11-30T09:00:00Z"), At("2026-11-27T15:00:00Z")), 0);
}

TEST(ScheduleTest, AHolidayIsClosed) {
  // Thu 2026-12-24 08:00Z -> Mon 2026-12-28 08:00Z with the 25th off: Thu 09-17 (8 h, from
  // 08:00Z = 09:00 local), Fri closed, Mon 09:00 local = 08:00Z: nothing yet.
  EXPECT_EQ(
      Berlin({"2026-12-25"}).BusinessMicros(At("2026-12-24T08:00:00Z"), At("2026-12-28T08:00:00Z")),
      8 * kHour);
  EXPECT_EQ(Berlin().BusinessMicros(At("2026-12-24T08:00:00Z"), At("2026-12-28T08:00:00Z")),
            16 * kHour);
}

TEST(ScheduleTest, DaylightSavingChanges) {
  // 24x7 in Berlin across the spring-forward night (2026-03-29): local 00:00 -> 06:00 is 5 h.
  auto allday =
      std::move(Schedule::Create("d", "Europe/Berlin", {"mon-sun 00:00-24:00"}, {})).value();
  EXPECT_EQ(allday.BusinessMicros(At("2026-03-28T23:00:00Z"), At("2026-03-29T04:00:00Z")),
            5 * kHour);
  // Autumn (2026-10-25): the local day has 25 h.
  EXPECT_EQ(allday.BusinessMicros(At("2026-10-24T22:00:00Z"), At("2026-10-25T23:00:00Z")),
            25 * kHour);
  // An opening at 02:30 on the spring-forward day does not exist: it starts at 03:30.
  auto night = std::move(Schedule::Create("n", "Europe/Berlin", {"sun 02:30-04:00"}, {})).value();
  EXPECT_EQ(night.BusinessMicros(At("2026-03-29T00:00:00Z"), At("2026-03-29T03:00:00Z")),
            kHour / 2);  // 03:30-04:00 local = 01:30-02:00Z
  // Office hours keep their local times on both sides of the change.
  EXPECT_EQ(Berlin().BusinessMicros(At("2026-03-27T08:00:00Z"), At("2026-03-30T07:00:00Z")),
            8 * kHour);  // Fri 09-17 CET; Mon 09:00 CEST = 07:00Z
}

TEST(ScheduleTest, OvernightListsAndAddBusiness) {
  auto s = std::move(Schedule::Create("x", "UTC", {"mon,wed 08:00-12:00", "fri 22:00-02:00"}, {}))
               .value();
  // Fri 2026-11-27 22:00 -> Sat 02:00 is open.
  EXPECT_EQ(s.BusinessMicros(At("2026-11-27T20:00:00Z"), At("2026-11-28T12:00:00Z")), 4 * kHour);
  // 5 business hours from Mon 2026-11-30 10:00: 2 h Monday, 3 h Wednesday -> Wed 11:00.
  EXPECT_EQ(s.AddBusiness(At("2026-11-30T10:00:00Z"), 5 * kHour), At("2026-12-02T11:00:00Z"));
  EXPECT_EQ(s.AddBusiness(At("2026-11-30T10:00:00Z"), 0), At("2026-11-30T10:00:00Z"));
}

// Each schedule's days are remembered on their own: asking two schedules in turn about the
// same days, or a copy, gives each its own hours.
TEST(ScheduleTest, RememberedDaysBelongToTheirSchedule) {
  const Schedule full = Berlin();
  const Schedule mornings =
      std::move(Schedule::Create("am", "Europe/Berlin", {"mon-fri 08:00-12:00"}, {})).value();
  const Schedule with_holiday = Berlin({"2026-11-30"});
  const TimeMicros from = At("2026-11-30T00:00:00Z"), to = At("2026-12-01T00:00:00Z");
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(full.BusinessMicros(from, to), 8 * kHour);
    EXPECT_EQ(mornings.BusinessMicros(from, to), 4 * kHour);
    EXPECT_EQ(with_holiday.BusinessMicros(from, to), 0);
    const Schedule copy = mornings;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copy.BusinessMicros(from, to), 4 * kHour);
    EXPECT_EQ(mornings.AddBusiness(from, 5 * kHour), At("2026-12-01T08:00:00Z"));
  }
}

TEST(ScheduleTest, BadDefinitionsAreClearErrors) {
  EXPECT_NE(Schedule::Create("x", "Mars/Olympus", {"mon 09:00-17:00"}, {})
                .status()
                .message()
                .find("tzdata"),
            std::string::npos);
  EXPECT_FALSE(Schedule::Create("x", "UTC", {"monday 9-5"}, {}).ok());
  EXPECT_FALSE(Schedule::Create("x", "UTC", {"mon 09:00-25:00"}, {}).ok());
  EXPECT_FALSE(Schedule::Create("x", "UTC", {}, {}).ok());
  EXPECT_FALSE(Schedule::Create("x", "UTC", {"mon 09:00-17:00"}, {"2026-02-30"}).ok());
}

}  // namespace
}  // namespace supportpipe::support
