#include "support/ticket_metrics.h"

#include "support/testing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace supportpipe::support {
namespace {

using testing::Min;
using testing::T;

TicketMetrics Compute(const T& t, const Schedule& s = Schedule::Always()) {
  auto m = ComputeTicketMetrics(t.events, s);
  EXPECT_TRUE(m.has_value());
  return m.value_or(TicketMetrics());
}

TEST(TicketMetricsTest, CustomerTicketRepliedPendingSolved) {
  auto m = Compute(T().Created(Min(0))
                       .Msg(Min(0), "customer")
                       .Status(Min(5), "open")
                       .Msg(Min(30), "agent")
                       .Status(Min(30), "pending")
                       .Msg(Min(90), "customer")
                       .Status(Min(90), "open")
                       .Msg(Min(100), "agent", false)  // an internal note
                       .Msg(Min(120), "agent")
                       .Status(Min(120), "solved"));
  EXPECT_FALSE(m.agent_created);
  EXPECT_EQ(m.first_reply_at, Min(30));
  EXPECT_EQ(m.first_reply->s, 1800);
  EXPECT_EQ(m.first_resolution->s, 7200);
  EXPECT_EQ(m.full_resolution->s, 7200);
  EXPECT_EQ(m.agent_replies, 2);
  EXPECT_EQ(m.customer_messages, 2);
  EXPECT_EQ(m.internal_notes, 1);
  EXPECT_EQ(m.agent_work.s, 30 * 60 + 30 * 60);  // new 0-5, open 5-30, open 90-120
  EXPECT_EQ(m.requester_wait.s, 3600);
  EXPECT_EQ(m.agent_wait.s, 3600);  // pending 30-90
  EXPECT_EQ(m.resolution_touches, 2);
  EXPECT_EQ(m.status, "solved");
}

TEST(TicketMetricsTest, AgentCreatedTicketsFirstReplyIsTheNextAgentMessage) {
  auto m = Compute(T().Created(Min(0), "open")
                       .Msg(Min(0), "agent")  // outbound: the first public message
                       .Msg(Min(60), "customer")
                       .Msg(Min(75), "agent"));
  EXPECT_TRUE(m.agent_created);
  EXPECT_EQ(m.first_reply_at, Min(75));
  EXPECT_EQ(m.agent_replies, 1);
  EXPECT_FALSE(m.first_solved_at.has_value());
  EXPECT_FALSE(m.resolution_touches.has_value());
  // Still open: the open interval is not counted.
  EXPECT_EQ(m.agent_work.s, 0);
  EXPECT_EQ(m.requester_wait.s, 0);
}

TEST(TicketMetricsTest, ReopenSolvedThenClosedAndHold) {
  auto m = Compute(T().Created(Min(0))
                       .Status(Min(10), "hold")
                       .Status(Min(40), "open")
                       .Status(Min(60), "solved")
                       .Status(Min(70), "open")  // a reopen
                       .Status(Min(80), "solved")
                       .Status(Min(200), "closed")  // solved -> closed is not another solve
  );
  EXPECT_EQ(m.reopens, 1);
  EXPECT_EQ(m.first_solved_at, Min(60));
  EXPECT_EQ(m.last_solved_at, Min(80));
  EXPECT_EQ(m.full_resolution->s, 80 * 60);
  EXPECT_EQ(m.on_hold.s, 30 * 60);
  EXPECT_EQ(m.requester_wait.s, 70 * 60);  // new 10 + hold 30 + open 20 + open 10
  EXPECT_EQ(m.agent_work.s, 40 * 60);
  EXPECT_EQ(m.status, "closed");
  ASSERT_EQ(m.transitions.size(), 6u);
  EXPECT_EQ(m.initial_status, "new");
  EXPECT_EQ(m.transitions[3].from, "solved");
  EXPECT_TRUE(m.transitions[3].reopen);
  EXPECT_TRUE(m.transitions[4].solve);
  EXPECT_FALSE(m.transitions[5].solve);  // solved -> closed
  // Closed straight from open is a solve.
  auto direct = Compute(T().Created(Min(0), "open").Status(Min(15), "closed"));
  EXPECT_EQ(direct.first_resolution->s, 900);
  // Reopened and not solved again: no full resolution.
  auto reopened = Compute(T().Created(Min(0)).Status(Min(5), "solved").Status(Min(6), "open"));
  EXPECT_FALSE(reopened.last_solved_at.has_value());
  EXPECT_EQ(reopened.first_resolution->s, 300);
}

TEST(TicketMetricsTest, RepeatedStatusesStationsCsatAndEventsBeforeCreation) {
  auto m =
      Compute(T().Status(Min(-5), "open")  // stamped before the creation: applies right after it
                  .Created(Min(0), "new", "a1")
                  .Status(Min(10), "open")  // already open: ignored
                  .Assign(Min(20), "a2")
                  .Assign(Min(21), "a2")  // the same value: not a station
                  .Assign(Min(22), std::nullopt)
                  .Assign(Min(23), "a1")
                  .Assign(Min(24), "g1", "group")
                  .Status(Min(30), "solved")
                  .Csat(Min(40), "2")
                  .Csat(Min(50), "good"));
  EXPECT_EQ(m.agent_work.s, 30 * 60);  // open from 0 to 30; the repeat changed nothing
  EXPECT_EQ(m.assignee_stations, 3);   // a1, a2, a1
  EXPECT_EQ(m.group_stations, 1);
  EXPECT_EQ(m.csat_rating, "good");
  EXPECT_EQ(m.csat_positive, true);
  EXPECT_FALSE(ComputeTicketMetrics(T().Status(Min(1), "open").events, Schedule::Always()));
}

TEST(TicketMetricsTest, BusinessTimeTwinsUseTheSchedule) {
  auto office =
      std::move(Schedule::Create("o", "UTC", {"mon-fri 09:00-17:00"}, {"2026-12-01"})).value();
  // Created Mon 16:00; first reply Wed 10:00 (Tue is a holiday): 1 h + 1 h of business time.
  auto m = Compute(T().Created(Min(7 * 60))
                       .Msg(Min(7 * 60), "customer")
                       .Msg(Min(49 * 60), "agent")
                       .Status(Min(49 * 60), "solved"),
                   office);
  EXPECT_EQ(m.first_reply->s, 42 * 3600);
  EXPECT_EQ(m.first_reply->business_s, 2 * 3600);
  EXPECT_EQ(m.requester_wait.business_s, 2 * 3600);
  EXPECT_EQ(m.first_resolution->business_s, 2 * 3600);
}

// A generator of realistic histories: a customer writes, agents reply, the ticket waits on
// the customer, goes on hold, is solved, sometimes reopened; tickets get reassigned and rated.
std::vector<event::Event> RandomHistory(std::mt19937_64& rng) {
  T t;
  auto minutes = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  double at = 0;
  const bool agent_first = minutes(0, 9) == 0;
  t.Created(Min(at), "new", minutes(0, 1) ? "a" + std::to_string(minutes(1, 3)) : "");
  t.Msg(Min(at), agent_first ? "agent" : "customer");
  const int rounds = minutes(1, 6);
  for (int r = 0; r < rounds; ++r) {
    at += minutes(1, 600);
    switch (minutes(0, 6)) {
      case 0:
        t.Status(Min(at), "open");
        break;
      case 1:
        t.Msg(Min(at), "agent").Status(Min(at), "pending");
        break;
      case 2:
        t.Msg(Min(at), "customer").Status(Min(at), "open");
        break;
      case 3:
        t.Status(Min(at), "hold");
        break;
      case 4:
        t.Assign(Min(at), "a" + std::to_string(minutes(1, 3)));
        break;
      case 5:
        t.Msg(Min(at), "agent", false);
        break;
      default:
        t.Msg(Min(at), "agent").Status(Min(at), "solved");
        break;
    }
  }
  if (minutes(0, 2)) t.Status(Min(at + minutes(1, 100)), "solved");
  if (minutes(0, 3) == 0) t.Csat(Min(at + 200), std::to_string(minutes(1, 5)));
  return t.events;
}

bool Same(const TicketMetrics& a, const TicketMetrics& b) {
  auto d = [](const std::optional<Duration>& x) {
    return x ? std::make_pair(x->s, x->business_s) : std::make_pair(int64_t{-1}, int64_t{-1});
  };
  return a.status == b.status && a.agent_created == b.agent_created &&
         a.first_reply_at == b.first_reply_at && d(a.first_reply) == d(b.first_reply) &&
         a.first_solved_at == b.first_solved_at && a.last_solved_at == b.last_solved_at &&
         d(a.full_resolution) == d(b.full_resolution) && a.reopens == b.reopens &&
         a.agent_replies == b.agent_replies && a.customer_messages == b.customer_messages &&
         a.internal_notes == b.internal_notes && a.requester_wait.s == b.requester_wait.s &&
         a.requester_wait.business_s == b.requester_wait.business_s &&
         a.agent_work.s == b.agent_work.s && a.agent_wait.s == b.agent_wait.s &&
         a.on_hold.s == b.on_hold.s && a.assignee_stations == b.assignee_stations &&
         a.group_stations == b.group_stations && a.resolution_touches == b.resolution_touches &&
         a.csat_rating == b.csat_rating;
}

TEST(TicketMetricsTest, ShufflingAndRepeatingDeliveriesNeverChangeAnyMetric) {
  std::mt19937_64 rng(20261204);
  auto office =
      std::move(Schedule::Create("o", "Europe/Berlin", {"mon-fri 09:00-17:00"}, {})).value();
  for (int i = 0; i < 500; ++i) {
    std::vector<event::Event> history = RandomHistory(rng);
    const auto expected = ComputeTicketMetrics(history, office);
    ASSERT_TRUE(expected.has_value());
    std::vector<event::Event> delivered = history;
    // Duplicates (retries, replays, backfills) and any arrival order.
    for (int k = 0; k < 3; ++k) delivered.push_back(history[rng() % history.size()]);
    std::shuffle(delivered.begin(), delivered.end(), rng);
    const auto got = ComputeTicketMetrics(delivered, office);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(Same(*expected, *got)) << "history " << i;
  }
}

}  // namespace
}  // namespace supportpipe::support
