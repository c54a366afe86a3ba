#include "triggers/surge_detector.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/test_dir.h"
#include "event/codec.h"
#include "log/sqlite/sqlite_event_log.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::triggers {
namespace {

constexpr int64_t kBucket = 300;
constexpr TimeMicros kDay0 = 1796083200LL * 1000000;  // 2026-12-01T00:00:00Z, a bucket start

class SurgeDetectorTest : public testing::Test {
 protected:
  void SetUp() override {
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    wh_ = std::move(warehouse::OpenSqliteWarehouse(dir_.path() + "/warehouse.db", clock_, {}))
              .value();
    config_.dimensions = {"channel", "tags"};
  }

  // A day of email traffic in 5-minute buckets: quiet at night, busy by day, with noise; a
  // burst of `burst` extra creations (tagged "outage") in bucket `at` when burst > 0.
  void LoadDay(int burst, int64_t at) {
    std::mt19937_64 rng(5);
    std::vector<warehouse::LoadItem> items;
    for (int64_t b = 0; b < 288; ++b) {
      const double level = 4 + 16 * (1 - std::cos(2 * M_PI * static_cast<double>(b) / 288)) / 2;
      int64_t n = std::poisson_distribution<int64_t>(level)(rng);
      if (b == at) n += burst;
      for (int64_t k = 0; k < n; ++k) {
        warehouse::LoadItem item;
        item.offset = next_offset_++;
        event::Event& e = item.event;
        e.id = fmt::format("c{}", item.offset);
        e.type = "ticket.created";
        e.source = "acme";
        e.occurred_at = kDay0 + (b * kBucket + static_cast<int64_t>(rng() % kBucket)) * 1000000;
        auto& t = e.ticket.emplace();
        t.id = e.id;
        t.channel = "email";
        if (b == at && k < burst) t.tags = std::vector<std::string>{"outage"};
        items.push_back(std::move(item));
      }
    }
    ASSERT_TRUE(wh_->Load("loader", items, next_offset_ - 1).ok());
  }

  // "dimension=value@bucket" of every surge.detected event in the log.
  std::string Surges() {
    std::string out;
    auto events = log_->ReadEvents(0, 1000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const auto& r : *events) {
      auto e = event::DecodeCanonical(r.payload, {.trusted = true});
      if (!e.ok() || !e->surge) continue;
      out += fmt::format("{}={}@{} ", e->surge->dimension, e->surge->value,
                         (e->surge->bucket_start - kDay0) / (kBucket * 1000000));
    }
    return out;
  }

  SurgeConfig config_;
  FakeClock clock_{kDay0 + 2LL * 24 * 3600 * 1000000};
  observe::Registry metrics_;
  TestDir dir_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> wh_;
  uint64_t next_offset_ = 1;
};

TEST_F(SurgeDetectorTest, AQuietDayRaisesNone) {
  LoadDay(0, -1);
  SurgeDetector d(*log_, *wh_, config_, clock_, metrics_);
  auto r = d.Step();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->appended, 0u);
  EXPECT_EQ(Surges(), "");
}

TEST_F(SurgeDetectorTest, ABurstIsDetectedOnceAtItsBucketAcrossRestarts) {
  LoadDay(60, 150);
  SurgeDetector d(*log_, *wh_, config_, clock_, metrics_);
  auto r = d.Step();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The channel surges at bucket 150; the "outage" tag's first bucket has 60 creations.
  EXPECT_EQ(Surges(), "channel=email@150 tags=outage@150 ");
  EXPECT_EQ(r->appended, 2u);
  // A restart re-derives the same signals and records nothing new.
  SurgeDetector again(*log_, *wh_, config_, clock_, metrics_);
  EXPECT_EQ(again.Step()->appended, 0u);
  EXPECT_EQ(Surges(), "channel=email@150 tags=outage@150 ");
}

TEST_F(SurgeDetectorTest, LiveBucketsAreJudgedOnceTheyHaveSettled) {
  // The clock is in the middle of the day: buckets are judged as they close.
  clock_.Set(kDay0 + (140 * kBucket) * 1000000);
  LoadDay(60, 150);  // the future is in the warehouse already (a test shortcut)
  SurgeDetector d(*log_, *wh_, config_, clock_, metrics_);
  auto r = d.Step();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Surges(), "");
  // Bucket 150 ends at 151 * 300 s; it is judged settle_s (60 s) later.
  clock_.Set(kDay0 + (151 * kBucket + 59) * 1000000);
  EXPECT_EQ(d.Step()->appended, 0u);
  clock_.Set(kDay0 + (151 * kBucket + 60) * 1000000);
  r = d.Step();
  EXPECT_EQ(r->appended, 2u);
  EXPECT_EQ(r->next, kDay0 + (152 * kBucket + 60) * 1000000);
  EXPECT_EQ(Surges(), "channel=email@150 tags=outage@150 ");
}

}  // namespace
}  // namespace supportpipe::triggers
