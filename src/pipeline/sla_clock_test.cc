#include "pipeline/sla_clock.h"

#include <gtest/gtest.h>

#include <map>

#include "common/test_dir.h"
#include "event/codec.h"
#include "log/sqlite/sqlite_event_log.h"
#include "pipeline/loader.h"
#include "support/policies.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::pipeline {
namespace {

// Mon 2026-11-30 09:00:00Z.
constexpr TimeMicros kT0 = 1796029200LL * 1000000;
constexpr TimeMicros Min(int64_t m) { return kT0 + m * 60 * 1000000; }

constexpr const char* kConfig = R"(
[[sla_policy]]
name = "std"
warning_fraction = 0.75
[sla_policy.targets]
first_reply_time = { normal = 60 }
)";

class SlaClockTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = std::move(ParseConfig(kConfig, "test.toml")).value();
    policies_ = std::move(support::Policies::Create(config_)).value();
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    wh_ = std::move(warehouse::OpenSqliteWarehouse(dir_.path() + "/warehouse.db", clock_,
                                                   {.policies = policies_.get()}))
              .value();
    sla_ = std::make_unique<SlaClock>(*log_, *wh_, clock_, metrics_);
  }

  // A ticket created at `at` by a customer's message, or the agent's reply to it.
  void Append(const std::string& id, const std::string& type, TimeMicros at,
              const std::string& role) {
    event::Event e;
    e.id = id;
    e.type = type;
    e.source = "acme";
    e.occurred_at = at;
    e.ticket.emplace().id = "T1";
    if (type == "ticket.created") {
      e.ticket->status = "open";
      e.ticket->priority = "normal";
    }
    auto& m = e.message.emplace();
    m.author_role = role;
    m.is_public = true;
    log::EventRecord r{0, "acme", id, "T1", type, at, 1, event::EncodeEvent(e)};
    std::vector<log::AppendResult> res;
    ASSERT_TRUE(log_->AppendEvents(std::vector<log::EventRecord>{r}, &res).ok());
  }

  // Loads and runs the clocks until neither has anything left; returns the derived
  // events appended.
  size_t Drain() {
    Loader loader(*log_, *wh_, clock_, metrics_);
    size_t appended = 0;
    for (;;) {
      auto loaded = loader.Step();
      EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
      auto r = sla_->Step();
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!loaded.ok() || !r.ok()) break;
      appended += r->appended;
      if (*loaded == 0 && r->appended == 0 && r->rows == 0) break;
    }
    return appended;
  }

  // "type@minutes" of every derived event in the log, in log order.
  std::string Derived() {
    std::string out;
    auto events = log_->ReadEvents(0, 1000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const auto& e : *events) {
      if (e.type.rfind("sla.", 0) != 0) continue;
      out += e.type + "@" + std::to_string((e.occurred_at - kT0) / 60000000) + " ";
    }
    return out;
  }

  std::string Status() {
    auto r = wh_->Query("SELECT status || ' ' || COALESCE(breached_at, '-') FROM fact_sla", 1);
    return r.ok() && !r->rows.empty() ? r->rows[0][0].s : "<none>";
  }

  Config config_;
  std::unique_ptr<support::Policies> policies_;
  FakeClock clock_{Min(1)};
  observe::Registry metrics_;
  TestDir dir_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> wh_;
  std::unique_ptr<SlaClock> sla_;
};

TEST_F(SlaClockTest, ABreachIsRecordedAtItsInstantWithNoEventArriving) {
  Append("c", "ticket.created", Min(0), "customer");
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(Derived(), "sla.applied@0 ");
  EXPECT_EQ(sla_->timers(), 2u);  // warning at 09:45, breach at 10:00
  clock_.Set(Min(44));
  EXPECT_EQ(Drain(), 0u);
  clock_.Set(Min(45));
  EXPECT_EQ(Drain(), 1u);
  clock_.Set(Min(59) + 59999999);
  EXPECT_EQ(Drain(), 0u);
  EXPECT_EQ(Status(), "active -");
  clock_.Set(Min(60));
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(Derived(), "sla.applied@0 sla.warning@45 sla.breached@60 ");
  // Loading the breach turned the row into what happened.
  EXPECT_EQ(Status(), "breached 2026-11-30T10:00:00.000000Z");
  // A late reply fulfils it, but breached it stays; nothing more fires.
  clock_.Set(Min(70));
  Append("r", "message.created", Min(65), "agent");
  EXPECT_EQ(Drain(), 0u);
  EXPECT_EQ(Status(), "breached 2026-11-30T10:00:00.000000Z");
}

TEST_F(SlaClockTest, AReplyInTimeCancelsTheTimersAndFulfils) {
  Append("c", "ticket.created", Min(0), "customer");
  Drain();
  clock_.Set(Min(30));
  Append("r", "message.created", Min(30), "agent");
  EXPECT_EQ(Drain(), 1u);
  clock_.Set(Min(120));
  EXPECT_EQ(Drain(), 0u);
  EXPECT_EQ(Derived(), "sla.applied@0 sla.fulfilled@30 ");
  EXPECT_EQ(Status(), "fulfilled -");
}

TEST_F(SlaClockTest, ADeadlineMissedWhileDownFiresOnceAfterTheRestart) {
  Append("c", "ticket.created", Min(0), "customer");
  Drain();
  // Down from 09:01 to 11:00.
  sla_.reset();
  clock_.Set(Min(120));
  sla_ = std::make_unique<SlaClock>(*log_, *wh_, clock_, metrics_);
  EXPECT_EQ(Drain(), 2u);
  EXPECT_EQ(Derived(), "sla.applied@0 sla.warning@45 sla.breached@60 ");
  // Another restart: the log already has every one of them.
  sla_ = std::make_unique<SlaClock>(*log_, *wh_, clock_, metrics_);
  EXPECT_EQ(Drain(), 0u);
  EXPECT_EQ(Derived(), "sla.applied@0 sla.warning@45 sla.breached@60 ");
}

TEST_F(SlaClockTest, AHistoryLoadedLateGivesTheSameEventsAsLive) {
  clock_.Set(Min(600));
  Append("c", "ticket.created", Min(0), "customer");
  Append("r", "message.created", Min(90), "agent");
  EXPECT_EQ(Drain(), 3u);
  EXPECT_EQ(Derived(), "sla.applied@0 sla.warning@45 sla.breached@60 ");
  EXPECT_EQ(sla_->timers(), 0u);
  EXPECT_EQ(Status(), "breached 2026-11-30T10:00:00.000000Z");
}

}  // namespace
}  // namespace supportpipe::pipeline
