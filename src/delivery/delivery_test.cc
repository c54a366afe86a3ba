#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/test_dir.h"
#include "delivery/deliverer.h"
#include "delivery/dispatcher.h"
#include "delivery/test_receiver.h"
#include "event/codec.h"
#include "intake/http.h"
#include "log/sqlite/sqlite_event_log.h"

namespace supportpipe::delivery {
namespace {

constexpr TimeMicros kT0 = 1796029200LL * 1000000;  // 2026-11-30T09:00:00Z
using Receiver = TestReceiver;

class DeliveryTest : public testing::Test {
 protected:
  void SetUp() override { log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value(); }

  void Configure(const std::string& url, std::vector<int64_t> retry_s = {5, 300},
                 int64_t max_attempts = 3) {
    config_.destinations.clear();
    DestinationConfig d;
    d.name = "ops";
    d.url = url;
    d.secret = kTestSecret;
    d.events = {"sla.breached", "ticket.created"};
    d.max_attempts = max_attempts;
    d.retry_s = std::move(retry_s);
    config_.destinations.push_back(d);
  }

  // An event in the log, recorded `late_s` after it occurred.
  void Append(const std::string& id, const std::string& type, int64_t late_s = 0) {
    event::Event e;
    e.id = id;
    e.type = type;
    e.source = "acme";
    e.occurred_at = clock_.Now() - late_s * 1000000;
    e.received_at = clock_.Now();
    e.ticket.emplace().id = "T1";
    log::EventRecord r{0, "acme", id, "T1", type, e.occurred_at, 1, event::EncodeEvent(e)};
    std::vector<log::AppendResult> res;
    ASSERT_TRUE(log_->AppendEvents(std::vector<log::EventRecord>{r}, &res).ok());
  }

  void Dispatch() {
    ASSERT_TRUE(ValidateDestinations(config_).ok());
    Dispatcher d(*log_, config_, clock_, metrics_);
    for (;;) {
      auto n = d.Step();
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      if (*n == 0) break;
    }
  }

  log::Delivery Only() {
    auto all = log_->ListDeliveries({});
    EXPECT_TRUE(all.ok() && all->size() == 1);
    return all.ok() && !all->empty() ? (*all)[0] : log::Delivery();
  }
  log::Delivery Of(const std::string& event_id) {
    auto all = log_->ListDeliveries({});
    EXPECT_TRUE(all.ok());
    if (!all.ok()) return log::Delivery();
    for (const auto& d : *all) {
      if (d.event_id == event_id) return d;
    }
    ADD_FAILURE() << "no delivery of " << event_id;
    return log::Delivery();
  }

  Config config_;
  FakeClock clock_{kT0};
  observe::Registry metrics_;
  TestDir dir_;
  std::unique_ptr<log::EventLog> log_;
};

TEST_F(DeliveryTest, RetriesKeepTheMessageIdUntilDeliveredAndSignEachAttempt) {
  Receiver rx({Receiver::Answer{500}, Receiver::Answer{429, "120"}, Receiver::Answer{200}},
              [] { return kT0; });
  Configure(rx.url());
  Dispatch();  // starts the dispatcher at the log's end
  Append("e1", "sla.breached");
  Append("e2", "ticket.updated");  // not a type the destination wants
  Dispatch();
  ASSERT_EQ(Only().type, "sla.breached");
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  ASSERT_EQ(d.Step()->attempted, 1u);  // 500
  log::Delivery x = Only();
  EXPECT_EQ(x.state, "pending");
  EXPECT_EQ(x.last_status, 500);
  EXPECT_GT(x.next_attempt_at, kT0);
  EXPECT_LE(x.next_attempt_at, kT0 + 5 * 1000000);  // full jitter within the first step
  EXPECT_EQ(d.Step()->attempted, 0u);               // not due yet
  clock_.Set(x.next_attempt_at);
  ASSERT_EQ(d.Step()->attempted, 1u);  // 429, Retry-After 120 s beats the jittered 300 s?
  x = Only();
  EXPECT_GE(x.next_attempt_at, clock_.Now() + 120 * 1000000);
  clock_.Set(x.next_attempt_at);
  ASSERT_EQ(d.Step()->attempted, 1u);  // 200
  x = Only();
  EXPECT_EQ(x.state, "delivered");
  EXPECT_EQ(x.attempts, 3);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    EXPECT_TRUE(r.signature_ok);
    EXPECT_EQ(r.id, got[0].id);  // receivers can de-duplicate on webhook-id
  }
  EXPECT_EQ(got[0].id, MessageId("ops", "acme", "e1"));
  EXPECT_NE(got[0].body.find(R"("type":"sla.breached")"), std::string::npos);
  EXPECT_FALSE(d.Step()->next.has_value());
}

TEST_F(DeliveryTest, ClientErrorsAreFinalAndTheLastAttemptGivesUp) {
  Receiver gone({Receiver::Answer{410}}, [] { return kT0; });
  Configure(gone.url());
  Dispatch();
  Append("e1", "sla.breached");
  Dispatch();
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  ASSERT_TRUE(d.Step().ok());
  EXPECT_EQ(Only().state, "dead");
  EXPECT_EQ(Only().attempts, 1);

  Receiver down({Receiver::Answer{503}}, [] { return kT0; });
  Configure(down.url(), {1}, 2);
  Append("e2", "sla.breached");
  Dispatch();
  Deliverer d2(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  ASSERT_TRUE(d2.Step().ok());
  EXPECT_EQ(Of("e2").state, "pending");
  clock_.Advance(2 * 1000000);
  ASSERT_TRUE(d2.Step().ok());
  EXPECT_EQ(Of("e2").state, "dead");
  EXPECT_EQ(Of("e2").attempts, 2);
  EXPECT_NE(Of("e2").last_error.find("gave up after 2 attempts"), std::string::npos);
}

TEST_F(DeliveryTest, NoAnswerIsRetriedAndOldNewsIsKeptNotSent) {
  Configure("http://127.0.0.1:1/nothing-listens");
  Dispatch();
  Append("live", "sla.breached");
  Append("backfilled", "ticket.created", 7200);  // recorded two hours after it happened
  Dispatch();
  auto all = *log_->ListDeliveries({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].state, "skipped");
  EXPECT_NE(all[1].last_error.find("max_age_s"), std::string::npos);
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  EXPECT_EQ(d.Step()->attempted, 1u);
  auto live = *log_->GetDelivery(all[0].id);
  EXPECT_EQ(live->state, "pending");
  EXPECT_EQ(live->last_status, 0);
  EXPECT_FALSE(live->last_error.empty());
}

TEST_F(DeliveryTest, TheDispatcherStartsAtTheLogsEndAndNeverEnqueuesTwice) {
  Receiver rx({Receiver::Answer{200}}, [] { return kT0; });
  Configure(rx.url());
  Append("history", "sla.breached");
  Dispatch();
  EXPECT_TRUE(log_->ListDeliveries({})->empty());  // before the destination existed
  Append("new", "sla.breached");
  Dispatch();
  EXPECT_EQ(log_->ListDeliveries({})->size(), 1u);
  // The cursor rewinds (a crash before it was committed): nothing doubles.
  ASSERT_TRUE(log_->CommitCursor(kDispatcherConsumer, 0, /*allow_rewind=*/true).ok());
  Dispatch();
  EXPECT_EQ(log_->ListDeliveries({})->size(), 2u);  // "history" now too, once; "new" once
  Dispatch();
  EXPECT_EQ(log_->ListDeliveries({})->size(), 2u);
  // Unknown event types are configuration errors.
  config_.destinations[0].events = {"sla.breach"};
  EXPECT_FALSE(ValidateDestinations(config_).ok());
}

TEST_F(DeliveryTest, TheCircuitOpensAfterFailuresInARowAndOneProbeClosesIt) {
  Receiver rx(
      {Receiver::Answer{500}, Receiver::Answer{500}, Receiver::Answer{500}, Receiver::Answer{200}},
      [] { return kT0; });
  Configure(rx.url(), {1}, 10);
  config_.destinations[0].circuit_failures = 2;
  config_.destinations[0].circuit_open_s = 30;
  Dispatch();
  for (const char* id : {"e1", "e2", "e3", "e4", "e5"}) Append(id, "sla.breached");
  Dispatch();
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  auto r = d.Step();  // e1, e2 fail: open
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attempted, 2u);
  EXPECT_TRUE(d.circuit_open());
  EXPECT_EQ(r->next, kT0 + 30 * 1000000);
  clock_.Advance(10 * 1000000);
  EXPECT_EQ(d.Step()->attempted, 0u);  // open: nothing goes out
  clock_.Set(kT0 + 31 * 1000000);
  EXPECT_EQ(d.Step()->attempted, 1u);  // the probe fails: open again
  EXPECT_TRUE(d.circuit_open());
  clock_.Set(kT0 + 62 * 1000000);
  EXPECT_EQ(d.Step()->attempted, 1u);  // the probe succeeds: closed
  EXPECT_FALSE(d.circuit_open());
  EXPECT_EQ(d.Step()->attempted, 4u);  // everything else goes out
  EXPECT_EQ(log_->ListDeliveries({.state = "delivered"})->size(), 5u);
  EXPECT_EQ(rx.received().size(), 8u);
}

TEST_F(DeliveryTest, TheRateLimitSpacesAttempts) {
  Receiver rx({Receiver::Answer{200}}, [] { return kT0; });
  Configure(rx.url());
  config_.destinations[0].rate_limit_per_s = 2;
  Dispatch();
  for (const char* id : {"e1", "e2", "e3", "e4", "e5"}) Append(id, "sla.breached");
  Dispatch();
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  auto r = d.Step();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attempted, 2u);  // a burst of two
  ASSERT_TRUE(r->next.has_value());
  EXPECT_NEAR(static_cast<double>(*r->next - kT0), 500000, 10);  // one more in 0.5 s
  clock_.Set(*r->next);
  EXPECT_EQ(d.Step()->attempted, 1u);
  clock_.Advance(1000000);
  EXPECT_EQ(d.Step()->attempted, 2u);
  EXPECT_EQ(rx.received().size(), 5u);
}

TEST_F(DeliveryTest, AHangingDestinationTimesOutAndIsRetried) {
  Receiver slow({Receiver::Answer{200, "", 1500}}, [] { return kT0; });
  Configure(slow.url());
  config_.destinations[0].timeout_ms = 200;
  Dispatch();
  Append("e1", "sla.breached");
  Dispatch();
  Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(d.Step()->attempted, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
  const log::Delivery x = Only();
  EXPECT_EQ(x.state, "pending");
  EXPECT_EQ(x.last_status, 0);
  EXPECT_FALSE(x.last_error.empty());
}

TEST_F(DeliveryTest, ADroppedConnectionIsRetriedWithTheSameMessageId) {
  for (const bool reset : {false, true}) {
    DroppingReceiver drop(2, reset);
    Configure(drop.url(), {5});
    config_.destinations[0].name = reset ? "ops-reset" : "ops";
    Dispatch();
    Append(reset ? "e-reset" : "e-close", "sla.breached");
    Dispatch();
    Deliverer d(*log_, config_.destinations[0], clock_, metrics_, intake::Fetch, 7);
    for (int attempt = 0; attempt < 3; ++attempt) {
      ASSERT_EQ(d.Step()->attempted, 1u) << attempt;
      const log::Delivery x = Of(reset ? "e-reset" : "e-close");
      if (attempt < 2) {
        EXPECT_EQ(x.state, "pending");  // no answer: a network failure, retried
        EXPECT_EQ(x.last_status, 0);
        EXPECT_FALSE(x.last_error.empty());
        clock_.Advance(5 * 1000000);  // the whole wait (full jitter draws at most that)
      } else {
        EXPECT_EQ(x.state, "delivered");
        EXPECT_EQ(x.attempts, 3);
      }
    }
    const std::vector<std::string> ids = drop.ids();
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_FALSE(ids[0].empty());
    EXPECT_EQ(ids[1], ids[0]);
    EXPECT_EQ(ids[2], ids[0]);
  }
}

}  // namespace
}  // namespace supportpipe::delivery
