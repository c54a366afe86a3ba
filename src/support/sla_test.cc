#include "support/sla.h"

#include "support/testing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace supportpipe::support {
namespace {

using testing::Min;
using testing::T;

SlaPolicy Policy(bool business = false) {
  SlaPolicy p;
  p.name = "std";
  p.business_hours = business;
  p.targets["first_reply_time"] = {{"urgent", 15 * 60}, {"normal", 60 * 60}};
  p.targets["next_reply_time"] = {{"normal", 30 * 60}};
  p.targets["requester_wait_time"] = {{"normal", 120 * 60}};
  return p;
}

const SlaInstance* Find(const std::vector<SlaInstance>& rows, const std::string& metric,
                        int instance = 1) {
  for (const auto& r : rows) {
    if (r.metric == metric && r.instance == instance) return &r;
  }
  return nullptr;
}

std::vector<SlaInstance> Sla(const T& t, TimeMicros now, const SlaPolicy& p = Policy(),
                             const Schedule& s = Schedule::Always()) {
  return ComputeSla(t.events, {p}, s, std::nullopt, now);
}

TEST(SlaTest, FirstReplyFulfilledActiveAndBreachedWithNoEvent) {
  auto ok =
      Sla(T().Created(Min(0), "open", "", "normal").Msg(Min(0), "customer").Msg(Min(30), "agent"),
          Min(300));
  const SlaInstance* fr = Find(ok, "first_reply_time");
  ASSERT_TRUE(fr);
  EXPECT_EQ(fr->status, "fulfilled");
  EXPECT_EQ(fr->fulfilled_at, Min(30));
  EXPECT_EQ(fr->elapsed_s, 1800);
  EXPECT_FALSE(fr->due_at.has_value());

  T waiting;
  waiting.Created(Min(0), "open", "", "normal").Msg(Min(0), "customer");
  const auto before = Sla(waiting, Min(45));
  const SlaInstance* active = Find(before, "first_reply_time");
  EXPECT_EQ(active->status, "active");
  EXPECT_EQ(active->due_at, Min(60));
  EXPECT_EQ(active->elapsed_s, 2700);
  // No event arrives: the breach is at the instant the target is reached.
  const auto late = Sla(waiting, Min(90));
  EXPECT_EQ(Find(late, "first_reply_time")->status, "breached");
  EXPECT_EQ(Find(late, "first_reply_time")->breached_at, Min(60));
  EXPECT_EQ(Find(late, "first_reply_time")->due_at, Min(60));
}

TEST(SlaTest, AReplyExactlyAtTheTargetIsInTime) {
  auto rows =
      Sla(T().Created(Min(0), "open", "", "normal").Msg(Min(0), "customer").Msg(Min(60), "agent"),
          Min(200));
  EXPECT_EQ(Find(rows, "first_reply_time")->status, "fulfilled");
  auto late =
      Sla(T().Created(Min(0), "open", "", "normal").Msg(Min(0), "customer").Msg(Min(61), "agent"),
          Min(200));
  const SlaInstance* fr = Find(late, "first_reply_time");
  EXPECT_EQ(fr->status, "breached");  // fulfilled later, but breached it stays
  EXPECT_EQ(fr->breached_at, Min(60));
  EXPECT_EQ(fr->fulfilled_at, Min(61));
}

TEST(SlaTest, APriorityChangeMidwayKeepsTheElapsedTime) {
  // normal (60 min) until 09:20, then urgent (15 min): 20 min elapsed >= 15: breached then.
  auto rows = Sla(T().Created(Min(0), "open", "", "normal")
                      .Msg(Min(0), "customer")
                      .Change(Min(20), "priority", "urgent"),
                  Min(100));
  const SlaInstance* fr = Find(rows, "first_reply_time");
  EXPECT_EQ(fr->target_s, 900);
  EXPECT_EQ(fr->breached_at, Min(20));
  // urgent at 09:05: due at 09:15.
  auto early = Sla(T().Created(Min(0), "open", "", "normal")
                       .Msg(Min(0), "customer")
                       .Change(Min(5), "priority", "urgent"),
                   Min(10));
  EXPECT_EQ(Find(early, "first_reply_time")->due_at, Min(15));
}

TEST(SlaTest, RequesterWaitPausesWhilePendingAndNextReplyRunsPerCustomerRun) {
  auto rows = Sla(T().Created(Min(0), "open", "", "normal")
                      .Msg(Min(0), "customer")
                      .Msg(Min(10), "agent")
                      .Change(Min(10), "status", "pending")
                      .Msg(Min(20), "customer")   // next reply #1 starts
                      .Msg(Min(25), "customer")   // same run: no new instance
                      .Msg(Min(40), "agent")      // fulfils #1
                      .Msg(Min(60), "customer"),  // #2
                  Min(200));
  const SlaInstance* rw = Find(rows, "requester_wait_time");
  EXPECT_EQ(rw->status, "paused");
  EXPECT_EQ(rw->elapsed_s, 600);
  EXPECT_FALSE(rw->due_at.has_value());
  const SlaInstance* n1 = Find(rows, "next_reply_time", 1);
  ASSERT_TRUE(n1);
  EXPECT_EQ(n1->applied_at, Min(20));
  EXPECT_EQ(n1->fulfilled_at, Min(40));
  EXPECT_EQ(n1->status, "fulfilled");
  const SlaInstance* n2 = Find(rows, "next_reply_time", 2);
  ASSERT_TRUE(n2);
  EXPECT_EQ(n2->breached_at, Min(90));
  EXPECT_FALSE(Find(rows, "next_reply_time", 3));
}

TEST(SlaTest, BusinessHoursBreachInstantIsExact) {
  auto office = std::move(Schedule::Create("o", "UTC", {"mon-fri 09:00-17:00"}, {})).value();
  // Fri 2026-11-27 16:30Z, 60 business minutes: 30 on Friday, 30 on Monday -> Mon 09:30Z.
  const TimeMicros fri = Min(-3 * 24 * 60 + 7.5 * 60);
  auto rows = Sla(T().Created(fri, "open", "", "normal").Msg(fri, "customer"), Min(120),
                  Policy(true), office);
  const SlaInstance* fr = Find(rows, "first_reply_time");
  EXPECT_TRUE(fr->business_hours);
  EXPECT_EQ(fr->breached_at, Min(30));
}

TEST(SlaTest, BusinessHoursAcrossADaylightSavingChangeAndAHoliday) {
  auto berlin =
      std::move(Schedule::Create("b", "Europe/Berlin", {"mon-fri 09:00-17:00"}, {"2026-10-26"}))
          .value();
  // Fri 2026-10-23 16:00 CEST (14:00Z), 120 business minutes: 60 on Friday; the clocks go
  // back on Sunday; Monday is a holiday; 60 on Tuesday from 09:00 CET (08:00Z) -> 09:00Z.
  const TimeMicros fri = *ParseRfc3339("2026-10-23T14:00:00Z");
  SlaPolicy p = Policy(true);
  p.targets["first_reply_time"]["normal"] = 120 * 60;
  auto rows = ComputeSla(T().Created(fri, "open", "", "normal").Msg(fri, "customer").events, {p},
                         berlin, std::nullopt, fri + 7LL * 24 * 3600 * 1000000);
  const SlaInstance* fr = Find(rows, "first_reply_time");
  ASSERT_TRUE(fr);
  EXPECT_EQ(fr->breached_at, *ParseRfc3339("2026-10-27T09:00:00Z"));
  // 75 %: 90 business minutes, Tuesday 09:30 CET.
  EXPECT_EQ(fr->warning_at, *ParseRfc3339("2026-10-27T08:30:00Z"));
}

TEST(SlaTest, AgentCreatedTicketsStartFirstReplyAtTheCustomersMessage) {
  auto rows =
      Sla(T().Created(Min(0), "open", "", "normal").Msg(Min(0), "agent").Msg(Min(100), "customer"),
          Min(130));
  const SlaInstance* fr = Find(rows, "first_reply_time");
  ASSERT_TRUE(fr);
  EXPECT_EQ(fr->applied_at, Min(100));
  EXPECT_EQ(fr->status, "active");
  EXPECT_EQ(fr->due_at, Min(160));
  // No policy matches: no instances.
  SlaPolicy vip = Policy();
  vip.customer_tier = {"vip"};
  EXPECT_TRUE(Sla(T().Created(Min(0), "open", "", "normal"), Min(1), vip).empty());
}

TEST(SlaTest, TheWarningFallsAtItsFractionOfTheTarget) {
  T waiting;
  waiting.Created(Min(0), "open", "", "normal").Msg(Min(0), "customer");
  // 75% of 60 min: predicted at 09:45 while active, reached at 09:45 once past.
  EXPECT_EQ(Find(Sla(waiting, Min(10)), "first_reply_time")->warning_at, Min(45));
  EXPECT_EQ(Find(Sla(waiting, Min(50)), "first_reply_time")->warning_at, Min(45));
  // A reply before the warning: none; after it: the warning stays recorded.
  T early = waiting, late = waiting;
  early.Msg(Min(30), "agent");
  late.Msg(Min(50), "agent");
  EXPECT_FALSE(Find(Sla(early, Min(100)), "first_reply_time")->warning_at.has_value());
  const auto late_rows = Sla(late, Min(100));
  const SlaInstance* fr = Find(late_rows, "first_reply_time");
  EXPECT_EQ(fr->status, "fulfilled");
  EXPECT_EQ(fr->warning_at, Min(45));
  // A reply exactly at the warning instant: in time for the warning too.
  T exact = waiting;
  exact.Msg(Min(45), "agent");
  EXPECT_FALSE(Find(Sla(exact, Min(100)), "first_reply_time")->warning_at.has_value());
  // A paused instance has no predicted warning.
  T pending = waiting;
  pending.Msg(Min(5), "agent").Change(Min(5), "status", "pending");
  EXPECT_FALSE(Find(Sla(pending, Min(100)), "requester_wait_time")->warning_at.has_value());
}

TEST(SlaTest, ReevaluationMovesRunningInstancesToTheMatchingPolicy) {
  SlaPolicy billing = Policy();
  billing.name = "billing";
  billing.tags_any = {"refund"};
  billing.targets["first_reply_time"] = {{"normal", 10 * 60}};
  billing.targets.erase("requester_wait_time");
  // Tagged at 09:05 with 4 min elapsed: first reply switches to billing's 10 min (due
  // 09:10); requester wait has no billing target and keeps the standard policy's.
  auto rows = ComputeSla(T().Created(Min(0), "open", "", "normal")
                             .Msg(Min(0), "customer")
                             .Tags(Min(5), {"refund"})
                             .events,
                         {billing, Policy()}, Schedule::Always(), std::nullopt, Min(6));
  const SlaInstance* fr = Find(rows, "first_reply_time");
  EXPECT_EQ(fr->policy, "billing");
  EXPECT_EQ(fr->target_s, 600);
  EXPECT_EQ(fr->due_at, Min(10));
  const SlaInstance* rw = Find(rows, "requester_wait_time");
  EXPECT_EQ(rw->policy, "std");
  EXPECT_EQ(rw->target_s, 7200);
  // A tier condition matches only the given tier.
  SlaPolicy vip = Policy();
  vip.name = "vip";
  vip.customer_tier = {"vip"};
  auto t = T().Created(Min(0), "open", "", "normal");
  EXPECT_EQ(ComputeSla(t.events, {vip, Policy()}, Schedule::Always(), "vip", Min(1))[0].policy,
            "vip");
  EXPECT_EQ(ComputeSla(t.events, {vip, Policy()}, Schedule::Always(), "gold", Min(1))[0].policy,
            "std");
}

TEST(SlaTest, ShufflingAndRepeatingDeliveriesNeverChangeAnInstance) {
  std::mt19937_64 rng(4);
  auto office =
      std::move(Schedule::Create("o", "Europe/Berlin", {"mon-fri 09:00-17:00"}, {})).value();
  auto key = [](const std::vector<SlaInstance>& rows) {
    std::string k;
    for (const auto& r : rows) {
      k += r.policy + r.metric + std::to_string(r.instance) + r.status +
           std::to_string(r.target_s) + std::to_string(r.applied_at) +
           std::to_string(r.fulfilled_at.value_or(-1)) +
           std::to_string(r.breached_at.value_or(-1)) + std::to_string(r.due_at.value_or(-1)) +
           std::to_string(r.warning_at.value_or(-1)) + std::to_string(r.elapsed_s) + ";";
    }
    return k;
  };
  for (int n = 0; n < 300; ++n) {
    T t;
    double at = 0;
    t.Created(Min(at), "open", "", rng() % 2 ? "normal" : "urgent").Msg(Min(at), "customer");
    for (int k = 0; k < 8; ++k) {
      at += static_cast<double>(rng() % 120);
      switch (rng() % 5) {
        case 0:
          t.Msg(Min(at), "agent");
          break;
        case 1:
          t.Msg(Min(at), "customer");
          break;
        case 2:
          t.Change(Min(at), "status", rng() % 2 ? "pending" : "open");
          break;
        case 3:
          t.Change(Min(at), "priority", rng() % 2 ? "normal" : "urgent");
          break;
        default:
          t.Change(Min(at), "status", "solved");
          break;
      }
    }
    for (const Schedule* s : {&office}) {
      SlaPolicy p = Policy(true);
      const std::string expected = key(ComputeSla(t.events, {p}, *s, std::nullopt, Min(2000)));
      std::vector<event::Event> delivered = t.events;
      delivered.push_back(t.events[rng() % t.events.size()]);
      std::shuffle(delivered.begin(), delivered.end(), rng);
      EXPECT_EQ(key(ComputeSla(delivered, {p}, *s, std::nullopt, Min(2000))), expected) << n;
    }
  }
}

}  // namespace
}  // namespace supportpipe::support
