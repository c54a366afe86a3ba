// kill -9 while clients post: every event that got a 2xx must be in the warehouse exactly
// once after a restart, and nothing that was never sent may appear.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "harness.h"

namespace supportpipe::testing_support {
namespace {

std::string Event(const std::string& id, int ticket) {
  return R"({"spec":"supportpipe/v1","id":")" + id +
         R"(","type":"ticket.updated","occurred_at":"2026-11-01T10:00:00Z","sequence":)" +
         std::to_string(std::hash<std::string>()(id) % 100000) + R"(,"ticket":{"id":"T)" +
         std::to_string(ticket) + R"(","status":"open","subject":"crash test"}})";
}

TEST(CrashTest, AcknowledgedEventsSurviveKill9ExactlyOnce) {
  Harness h;
  std::mutex mu;
  std::set<std::string> sent, acked;
  constexpr int kRounds = 3, kClients = 4;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(h.Start()) << "round " << round;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        HttpClient client(h.port());
        for (int i = 0; !stop && i < 100000; ++i) {
          const std::string id =
              "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" + std::to_string(i);
          {
            std::lock_guard lock(mu);
            sent.insert(id);
          }
          HttpResult r = client.Request("POST", "/v1/events", Event(id, i % 50));
          if (r.status == 0) return;  // the server is gone
          if (r.status == 202 || r.status == 200) {
            std::lock_guard lock(mu);
            acked.insert(id);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    h.Kill9();
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(h.WaitForLoaded());
  const std::vector<std::string> rows = h.Column("SELECT event_id FROM fact_ticket_event");
  std::multiset<std::string> loaded(rows.begin(), rows.end());
  ASSERT_GT(acked.size(), 100u) << "the clients should have been acknowledged many times";
  for (const auto& id : acked) EXPECT_EQ(loaded.count(id), 1u) << "acknowledged event " << id;
  for (const auto& id : loaded) {
    EXPECT_TRUE(sent.count(id)) << "never sent: " << id;
    EXPECT_EQ(loaded.count(id), 1u) << "loaded twice: " << id;
  }
  // The per-ticket state was derived from exactly those rows.
  EXPECT_EQ(h.Scalar("SELECT SUM(event_count) FROM fact_ticket"), std::to_string(rows.size()));
  std::printf("crash test: %zu sent, %zu acknowledged, %zu loaded over %d kill -9 rounds\n",
              sent.size(), acked.size(), rows.size(), kRounds);
  EXPECT_TRUE(h.Stop());
}

}  // namespace
}  // namespace supportpipe::testing_support
