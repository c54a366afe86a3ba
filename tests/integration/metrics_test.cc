// Metrics through the real binary: an import with a business-hours schedule, late events,
// and configuration errors that name the schedule.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace supportpipe::testing_support {
namespace {

std::string Ev(const std::string& id, const std::string& type, const std::string& at,
               const std::string& rest) {
  return R"({"spec":"supportpipe/v1","id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":")" + at + "\"," + rest + "}\n";
}

const char* kSchedules = R"(
[reporting]
default_schedule = "office"

[[schedule]]
name = "office"
time_zone = "Europe/Berlin"
hours = ["mon-fri 09:00-17:00"]
holidays = ["2026-12-01"]

[[schedule]]
name = "phones"
time_zone = "America/New_York"
hours = ["mon-sun 00:00-24:00"]
when = { channel = ["phone"] }
)";

TEST(MetricsIntegrationTest, BusinessHoursPerTicketScheduleAndLateEvents) {
  Harness h(kSchedules);
  // Created Mon 2026-11-30 16:00 Berlin (15:00Z); replied Wed 10:00 Berlin (09:00Z); Tue is
  // a holiday: 1 h Monday + 1 h Wednesday of business time.
  const std::string t = R"("ticket":{"id":"B1"})";
  std::ofstream(h.dir() + "/first.jsonl")
      << Ev("c", "ticket.created", "2026-11-30T15:00:00Z",
            R"("ticket":{"id":"B1","channel":"email"},"message":{"author_role":"customer"})")
      << Ev("s", "ticket.status_changed", "2026-12-02T09:00:00Z",
            t + R"(,"changes":{"status":{"to":"solved"}})")
      << Ev("p", "ticket.created", "2026-11-30T15:00:00Z",
            R"("ticket":{"id":"P1","channel":"phone"})")
      << Ev("p2", "ticket.status_changed", "2026-11-30T16:00:00Z",
            R"("ticket":{"id":"P1"},"changes":{"status":{"to":"solved"}})");
  // The reply arrives later than the solve (a late delivery).
  std::ofstream(h.dir() + "/late.jsonl") << Ev("r", "message.created", "2026-12-02T09:00:00Z",
                                               t + R"(,"message":{"author_role":"agent"})");
  auto first = h.Cli({"import", "-s", "acme", "first.jsonl"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(h.Scalar("SELECT COALESCE(first_reply_s, 'none') FROM fact_ticket WHERE ticket_id "
                     "= 'B1'"),
            "none");
  auto late = h.Cli({"import", "-s", "acme", "late.jsonl"});
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_EQ(h.Scalar("SELECT schedule || ' ' || first_reply_s || ' ' || first_reply_business_s "
                     "|| ' ' || full_resolution_business_s || ' ' || agent_work_business_s "
                     "FROM fact_ticket WHERE ticket_id = 'B1'"),
            "office 151200 7200 7200 7200");
  EXPECT_EQ(h.Scalar("SELECT schedule || ' ' || first_resolution_s || ' ' || "
                     "first_resolution_business_s FROM fact_ticket WHERE ticket_id = 'P1'"),
            "phones 3600 3600");

  // The day-by-day report over the same tickets.
  auto report = h.Cli({"report", "--from", "2026-11-30", "--to", "2026-12-03", "--format", "csv"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out,
            "day,created,solved,reopened,backlog,first_reply_p50_min,first_reply_p90_min,"
            "resolution_p50_min,resolution_p90_min,csat_pct\n"
            "2026-11-30,2,1,0,1,2520,2520,60,2520,\n"
            "2026-12-01,0,0,0,1,,,,,\n"
            "2026-12-02,0,1,0,0,,,,,\n"
            "total,2,2,0,0,2520,2520,60,2520,\n");
  EXPECT_EQ(h.Cli({"report", "--from", "2026-12-03", "--to", "2026-12-01"}).exit_code, 2);
}

TEST(MetricsIntegrationTest, ScheduleErrorsNameTheScheduleAndLine) {
  Harness h(R"(
[[schedule]]
name = "mars"
time_zone = "Mars/Olympus_Mons"
hours = ["mon-fri 09:00-17:00"]
)");
  auto r = h.Cli({"check-config", h.config_path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("schedule \"mars\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tzdata"), std::string::npos) << r.err;
  Harness dangling(R"(
[reporting]
default_schedule = "nope"
)");
  auto d = dangling.Cli({"check-config", dangling.config_path()});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find("reporting.default_schedule"), std::string::npos) << d.err;
}

}  // namespace
}  // namespace supportpipe::testing_support
