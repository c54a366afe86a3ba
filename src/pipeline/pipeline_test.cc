#include <gtest/gtest.h>

#include <filesystem>

#include "common/test_dir.h"
#include "log/sqlite/sqlite_event_log.h"
#include "pipeline/loader.h"
#include "pipeline/processor.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::pipeline {
namespace {

constexpr TimeMicros kNow = 1764494102LL * 1000000;

std::string Ev(const std::string& id, const std::string& ticket, const std::string& status,
               const std::string& at = "2025-11-30T08:00:00Z") {
  return R"({"spec":"supportpipe/v1","id":")" + id +
         R"(","type":"ticket.updated","occurred_at":")" + at + R"(","ticket":{"id":")" + ticket +
         R"(","status":")" + status + R"("}})";
}

class PipelineTest : public testing::Test {
 protected:
  void SetUp() override {
    decoders_ = std::move(sources::DecoderSet::Create({})).value();
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    wh_ = std::move(warehouse::OpenSqliteWarehouse(dir_.path() + "/warehouse.db", clock_, {}))
              .value();
  }

  log::Offset AppendRaw(const std::string& kind, const std::string& delivery,
                        const std::string& body, const std::string& source = "acme") {
    log::RawRecord r;
    r.source = source;
    r.kind = kind;
    r.vendor = "canonical";
    r.delivery_id = delivery;
    r.received_at = kNow;
    r.headers = "{}";
    r.body = body;
    std::vector<log::AppendResult> res;
    EXPECT_TRUE(log_->AppendRaw(std::vector<log::RawRecord>{r}, &res).ok());
    return res[0].offset;
  }

  void Drain() {
    Processor p(*log_, *decoders_, clock_, metrics_);
    Loader l(*log_, *wh_, clock_, metrics_);
    while (*p.Step() > 0) {
    }
    while (*l.Step() > 0) {
    }
  }

  std::string Scalar(const std::string& sql) {
    auto r = wh_->Query(sql, 1);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->rows.empty()) return "<none>";
    const auto& c = r->rows[0][0];
    return c.kind == warehouse::Cell::Kind::kInt ? std::to_string(c.i) : c.s;
  }

  FakeClock clock_{kNow};
  observe::Registry metrics_;
  TestDir dir_;
  std::unique_ptr<sources::DecoderSet> decoders_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> wh_;
};

TEST_F(PipelineTest, WebhookBatchYieldsEventsAndDeadLettersPerItem) {
  const log::Offset off =
      AppendRaw("webhook", "d1",
                "[" + Ev("e1", "T1", "open") + ",{\"spec\":\"supportpipe/v1\"}," +
                    Ev("e2", "T2", "new") + "]");
  Drain();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket"), "2");
  auto dl = *log_->ListDeadLetters("open", 0, 10);
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].stage, "validate");
  EXPECT_EQ(dl[0].item, 1);
  EXPECT_EQ(dl[0].field, "/id");
  EXPECT_EQ(dl[0].raw_offset, off);
}

TEST_F(PipelineTest, UnusableBodyIsDeadLetteredWithItsRawKept) {
  const log::Offset off = AppendRaw("webhook", "d1", "this is not json");
  Drain();
  auto dl = *log_->ListDeadLetters("open", 0, 10);
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].stage, "decode");
  EXPECT_EQ((*log_->GetRaw(off))->body, "this is not json");
}

TEST_F(PipelineTest, FirstDeliveryWinsAcrossRawRecords) {
  AppendRaw("event", "e1", Ev("e1", "T1", "open"));
  AppendRaw("webhook", "d2", Ev("e1", "T1", "solved"));  // same id, other body
  Drain();
  EXPECT_EQ(Scalar("SELECT status FROM fact_ticket"), "open");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "1");
}

TEST_F(PipelineTest, ReplayConvergesWithoutDuplicates) {
  AppendRaw("event", "e1", Ev("e1", "T1", "open"));
  AppendRaw("event", "e2", Ev("e2", "T1", "pending", "2025-11-30T09:00:00Z"));
  Drain();
  Processor p(*log_, *decoders_, clock_, metrics_);
  auto r = p.Replay("acme", 0, kNow + 1, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records, 2u);
  EXPECT_EQ(r->duplicates, 2u);
  Drain();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "2");
  EXPECT_EQ(Scalar("SELECT status || event_count FROM fact_ticket"), "pending2");
}

TEST_F(PipelineTest, DeadLetterReplayStaysOpenWhileItStillFails) {
  AppendRaw("event", "bad", R"({"spec":"supportpipe/v1","id":"x","type":"ticket.created"})");
  Drain();
  auto dl = *log_->ListDeadLetters("open", 0, 10);
  ASSERT_EQ(dl.size(), 1u);
  Processor p(*log_, *decoders_, clock_, metrics_);
  auto again = p.ReplayDeadLetter(dl[0].id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ((*log_->GetDeadLetter(dl[0].id))->attempts, 2);
  EXPECT_EQ(p.ReplayDeadLetter(12345).status().code(), StatusCode::kNotFound);
}

TEST_F(PipelineTest, CrashBeforeCursorCommitReprocessesWithoutDoubling) {
  AppendRaw("event", "e1", Ev("e1", "T1", "open"));
  Processor p(*log_, *decoders_, clock_, metrics_);
  // Process without committing the cursor, as if killed right after the append.
  auto raw = *log_->ReadRaw(0, 10);
  ASSERT_TRUE(p.Process(raw).ok());
  Drain();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "1");
  EXPECT_EQ(*log_->LastOffset("events"), 1u);
}

}  // namespace
}  // namespace supportpipe::pipeline
