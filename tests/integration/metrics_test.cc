// Metrics through the real binary: an import with a business-hours schedule, late events,
// and configuration errors that name the schedule.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

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
            "resolution_p50_min,resolution_p90_min,csat_pct,sla_met,sla_breached,sla_pct\n"
            "2026-11-30,2,1,0,1,2520,2520,60,2520,,0,0,\n"
            "2026-12-01,0,0,0,1,,,,,,0,0,\n"
            "2026-12-02,0,1,0,0,,,,,,0,0,\n"
            "total,2,2,0,0,2520,2520,60,2520,,0,0,\n");
  EXPECT_EQ(h.Cli({"report", "--from", "2026-12-03", "--to", "2026-12-01"}).exit_code, 2);
}

// Polls a query until it returns `want` or ~`seconds` pass; returns the last answer.
std::string WaitFor(Harness& h, const std::string& sql, const std::string& want, int seconds) {
  std::string got;
  for (int i = 0; i < seconds * 10; ++i) {
    got = h.Scalar(sql);
    if (got == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

TEST(MetricsIntegrationTest, ABreachIsRecordedLiveAndOnceAcrossAKill9) {
  Harness h(R"(
[[sla_policy]]
name = "fast"
[sla_policy.targets]
first_reply_time = { urgent = 0.05 }   # 3 seconds
)");
  ASSERT_TRUE(h.Start());
  auto create = [&](const std::string& id) {
    auto r = h.Post("/v1/events", Ev(id, "ticket.created", NowRfc3339(),
                                     R"("ticket":{"id":")" + id +
                                         R"(","priority":"urgent"},"message":{"author_role":)"
                                         R"("customer","public":true})"));
    ASSERT_EQ(r.status, 202) << r.body;
  };
  auto derived = [&](const std::string& ticket) {
    std::string out;
    for (const auto& t : h.Column("SELECT type FROM fact_ticket_event WHERE ticket_id = '" +
                                  ticket + "' AND type LIKE 'sla.%' ORDER BY occurred_us, type")) {
      out += t + " ";
    }
    return out;
  };
  // Live: no event arrives after the creation, and the breach is recorded at its instant.
  create("L1");
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(WaitFor(h, "SELECT status FROM fact_sla WHERE ticket_id = 'L1'", "breached", 10),
            "breached");
  EXPECT_EQ(h.Scalar("SELECT (breached_at = due_at) || ' ' || CAST(ROUND((julianday(breached_at) "
                     "- julianday(applied_at)) * 86400) AS INTEGER) FROM fact_sla WHERE "
                     "ticket_id = 'L1'"),
            "1 3");
  EXPECT_EQ(derived("L1"), "sla.applied sla.warning sla.breached ");

  // The process dies before the deadline and comes back after it: the breach fires once.
  create("K1");
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(WaitFor(h, "SELECT COUNT(*) FROM fact_sla WHERE ticket_id = 'K1'", "1", 5), "1");
  h.Kill9();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(WaitFor(h, "SELECT status FROM fact_sla WHERE ticket_id = 'K1'", "breached", 10),
            "breached");
  ASSERT_TRUE(h.Stop());
  ASSERT_TRUE(h.Start());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(derived("K1"), "sla.applied sla.warning sla.breached ");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE type LIKE 'sla.%'"), "6");
}

TEST(MetricsIntegrationTest, RecomputeAppliesChangedPoliciesToStoredTickets) {
  const std::string head = R"(
[[sla_policy]]
name = "std"
[sla_policy.targets]
)";
  Harness h(head + "first_reply_time = { normal = 60 }\n");
  const std::string t = R"("ticket":{"id":"R1"})";
  std::ofstream(h.dir() + "/h.jsonl")
      << Ev("c", "ticket.created", "2026-11-30T09:00:00Z",
            R"("ticket":{"id":"R1"},"message":{"author_role":"customer"})")
      << Ev("r", "message.created", "2026-11-30T09:30:00Z",
            t + R"(,"message":{"author_role":"agent"})");
  ASSERT_EQ(h.Cli({"import", "-s", "acme", "h.jsonl"}).exit_code, 0);
  EXPECT_EQ(h.Scalar("SELECT status || ' ' || target_s FROM fact_sla"), "fulfilled 3600");
  // Nothing changed: a recompute leaves the decided row as it was (not even rewritten).
  const std::string computed_at = h.Scalar("SELECT computed_at || change_seq FROM fact_sla");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(h.Cli({"recompute"}).exit_code, 0);
  EXPECT_EQ(h.Scalar("SELECT computed_at || change_seq FROM fact_sla"), computed_at);
  // The target becomes 10 minutes; the stored tickets follow once recomputed.
  std::stringstream config;
  config << std::ifstream(h.config_path()).rdbuf();
  std::string text = config.str();
  text.replace(text.find("normal = 60"), 11, "normal = 10");
  std::ofstream(h.config_path()) << text;
  auto r = h.Cli({"recompute"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("recomputed 1 tickets"), std::string::npos) << r.out;
  EXPECT_EQ(h.Scalar("SELECT status || ' ' || target_s || ' ' || breached_at FROM fact_sla"),
            "breached 600 2026-11-30T09:10:00.000000Z");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE type = 'sla.breached'"), "1");
  // Without the policy, its instances go.
  text.erase(text.find("[[sla_policy]]"));
  std::ofstream(h.config_path()) << text;
  ASSERT_EQ(h.Cli({"recompute"}).exit_code, 0);
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_sla"), "0");
  EXPECT_EQ(h.Cli({"recompute", "--help"}).exit_code, 0);
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
