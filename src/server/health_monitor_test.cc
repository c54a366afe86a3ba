#include "server/health_monitor.h"

#include <gtest/gtest.h>

#include "common/test_dir.h"
#include "event/codec.h"
#include "log/sqlite/sqlite_event_log.h"
#include "pipeline/processor.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::server {
namespace {

constexpr TimeMicros kT0 = 1796029200LL * 1000000;  // 2026-11-30T09:00:00Z
constexpr TimeMicros kSecond = 1000000;

class HealthMonitorTest : public ::testing::Test {
 protected:
  HealthMonitorTest() : clock_(kT0) {
    config_.alerts.window_s = 60;
    DestinationConfig crm;
    crm.name = "crm";
    config_.destinations.push_back(crm);
    Open();
  }
  void Open() {
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    wh_ = std::move(warehouse::OpenSqliteWarehouse(dir_.path() + "/warehouse.db", clock_, {}))
              .value();
  }
  std::unique_ptr<HealthMonitor> Monitor(observe::Registry& metrics) {
    return std::make_unique<HealthMonitor>(*log_, *wh_, config_, clock_, metrics,
                                           [this] { return counts_; });
  }
  // The pipeline.alert events in the log: "<check>/<subject> <state>" each.
  std::vector<std::string> AlertEvents() {
    std::vector<std::string> out;
    auto events = log_->ReadEvents(0, 1000);
    EXPECT_TRUE(events.ok());
    for (const log::EventRecord& r : *events) {
      if (r.type != kAlertType) continue;
      auto e = event::DecodeCanonical(r.payload, {.trusted = true});
      EXPECT_TRUE(e.ok());
      std::map<std::string, std::string> a(e->attributes.begin(), e->attributes.end());
      auto text = [&](const char* k) { return a[k].substr(1, a[k].size() - 2); };  // unquoted
      out.push_back(text("check") + "/" + text("subject") + " " + text("state"));
    }
    return out;
  }
  void AppendRaw(const std::string& id, TimeMicros at) {
    std::vector<log::AppendResult> res;
    ASSERT_TRUE(log_->AppendRaw(std::vector<log::RawRecord>{{.source = "acme",
                                                             .kind = "event",
                                                             .delivery_id = id,
                                                             .received_at = at,
                                                             .body = "{}"}},
                                &res)
                    .ok());
  }

  TestDir dir_;
  FakeClock clock_;
  Config config_;
  RequestCounts counts_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> wh_;
};

TEST_F(HealthMonitorTest, FreshnessFiresOnceSurvivesARestartAndResolves) {
  config_.alerts.freshness_lag_s = 300;
  observe::Registry metrics;
  auto m = Monitor(metrics);
  AppendRaw("r1", kT0);
  clock_.Advance(200 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_TRUE(AlertEvents().empty());  // 200 s behind: within the limit
  EXPECT_NE(metrics.Render().find("supportpipe_consumer_lag_seconds{consumer=\"processor\"} 200\n"),
            std::string::npos)
      << metrics.Render();
  clock_.Advance(200 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents(), std::vector<std::string>{"freshness/warehouse firing"});
  EXPECT_NE(metrics.Render().find("supportpipe_alerts_firing{check=\"freshness\"} 1\n"),
            std::string::npos);

  // A restart remembers that it fires: nothing new.
  observe::Registry metrics2;
  m = Monitor(metrics2);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents().size(), 1u);

  // Processed: the lag is gone and the alert resolves, once.
  ASSERT_TRUE(log_->CommitCursor(pipeline::kProcessorConsumer, 1).ok());
  ASSERT_TRUE(m->Check(true).ok());
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents(), (std::vector<std::string>{"freshness/warehouse firing",
                                                     "freshness/warehouse resolved"}));
  EXPECT_TRUE(m->Firing().empty());
  // The restarted monitor still says what had fired.
  auto events = log_->ReadEvents(0, 1000);
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_NE(events->back().payload.find("resolved: the warehouse is 400 s behind"),
            std::string::npos)
      << events->back().payload;
}

TEST_F(HealthMonitorTest, ErrorRateNeedsEnoughRequestsInTheWindow) {
  config_.alerts.error_rate = 0.2;
  config_.alerts.error_min_requests = 20;
  observe::Registry metrics;
  auto m = Monitor(metrics);
  ASSERT_TRUE(m->Check(true).ok());
  counts_ = {10, 9};  // 90 % but too few to judge
  clock_.Advance(10 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_TRUE(AlertEvents().empty());
  counts_ = {40, 15};  // 15 of 40 in the window
  clock_.Advance(10 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents(), std::vector<std::string>{"error_rate/intake firing"});
  // The window moves on with only good requests: it resolves.
  counts_ = {140, 15};
  clock_.Advance(70 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  clock_.Advance(10 * kSecond);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents().back(), "error_rate/intake resolved");
}

TEST_F(HealthMonitorTest, DeadLetterGrowthAndADestinationDown) {
  config_.alerts.dead_letter_growth = 3;
  config_.alerts.destination_down_s = 60;
  observe::Registry metrics;
  auto m = Monitor(metrics);
  ASSERT_TRUE(m->Check(true).ok());
  std::vector<log::DeadLetter> letters(3);
  for (int i = 0; i < 3; ++i) {
    letters[i].stage = "decode";
    letters[i].reason = "bad";
    letters[i].raw_offset = static_cast<log::Offset>(i + 1);
    letters[i].created_at = kT0;
  }
  ASSERT_TRUE(log_->AddDeadLetters(letters).ok());
  log::Delivery d;
  d.destination = "crm";
  d.source = "acme";
  d.event_id = "e1";
  d.type = "sla.breached";
  d.message_id = "msg_1";
  d.payload = "{}";
  d.created_at = kT0;
  d.next_attempt_at = kT0;
  ASSERT_TRUE(log_->EnqueueDeliveries(std::vector<log::Delivery>{d}).ok());
  clock_.Advance(90 * kSecond);
  // Not recording (another process runs the worker): gauges only.
  ASSERT_TRUE(m->Check(false).ok());
  EXPECT_TRUE(AlertEvents().empty());
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("supportpipe_outbox_deliveries{destination=\"crm\",state=\"pending\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("supportpipe_outbox_oldest_pending_seconds{destination=\"crm\"} 90\n"),
            std::string::npos);
  EXPECT_NE(text.find("supportpipe_dead_letters_open 3\n"), std::string::npos);
  ASSERT_TRUE(m->Check(true).ok());
  EXPECT_EQ(AlertEvents(), (std::vector<std::string>{"dead_letters/dead_letters firing",
                                                     "destination_down/crm firing"}));
}

}  // namespace
}  // namespace supportpipe::server
