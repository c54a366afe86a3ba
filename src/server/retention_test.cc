#include "server/retention.h"

#include <gtest/gtest.h>

#include "common/test_dir.h"
#include "event/codec.h"
#include "log/sqlite/sqlite_event_log.h"
#include "pipeline/processor.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::server {
namespace {

constexpr TimeMicros kT0 = 1796029200LL * 1000000;  // 2026-11-30T09:00:00Z
constexpr TimeMicros kDay = 86400LL * 1000000;

TEST(RetentionTest, PurgesWhatIsPastItsDaysAndSaysSo) {
  TestDir dir;
  FakeClock clock(kT0);
  observe::Registry metrics;
  auto log = std::move(log::OpenSqliteEventLog(dir.path())).value();
  auto wh =
      std::move(warehouse::OpenSqliteWarehouse(dir.path() + "/warehouse.db", clock, {})).value();
  auto store = std::move(security::OpenSqliteStore(dir.path() + "/security.db")).value();

  // Day 0: two raw records (one processed), a dead letter, a message with a body and a CSAT
  // comment; day 20: a newer message.
  std::vector<log::AppendResult> res;
  ASSERT_TRUE(log->AppendRaw(std::vector<log::RawRecord>{{.source = "acme",
                                                          .kind = "event",
                                                          .delivery_id = "r1",
                                                          .received_at = kT0,
                                                          .body = "raw one"},
                                                         {.source = "acme",
                                                          .kind = "event",
                                                          .delivery_id = "r2",
                                                          .received_at = kT0,
                                                          .body = "raw two"}},
                             &res)
                  .ok());
  ASSERT_TRUE(log->CommitCursor(pipeline::kProcessorConsumer, res[0].offset).ok());
  ASSERT_TRUE(log->AddDeadLetters(std::vector<log::DeadLetter>{{.stage = "decode",
                                                                .reason = "x",
                                                                .source = "acme",
                                                                .raw_offset = 2,
                                                                .created_at = kT0}})
                  .ok());
  std::vector<warehouse::LoadItem> items;
  std::vector<log::EventRecord> records;
  for (const auto& [id, at] :
       {std::pair<std::string, TimeMicros>{"m-old", kT0}, {"m-new", kT0 + 20 * kDay}}) {
    event::Event e;
    e.id = id;
    e.type = "message.created";
    e.source = "acme";
    e.occurred_at = at;
    e.ticket.emplace().id = "T1";
    auto& m = e.message.emplace();
    m.id = id;
    m.author_role = "customer";
    m.body = "words of " + id;
    if (id == "m-old") e.csat = event::Csat{.rating = "bad", .comment = "a comment"};
    records.push_back({0, "acme", id, "T1", e.type, at, 1, event::EncodeEvent(e)});
    items.push_back({static_cast<uint64_t>(items.size() + 1), 1, e});
  }
  ASSERT_TRUE(log->AppendEvents(records, &res).ok());
  ASSERT_TRUE(wh->Load("loader", items, items.size()).ok());

  RetentionConfig config{.raw_days = 30, .messages_days = 10, .dlq_days = 30};
  Retention retention(config, *log, *wh, *store, clock, metrics);
  clock.Set(kT0 + 25 * kDay);  // messages older than 10 days: m-old only; the rest too young
  auto p = retention.Run("retention");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->raw, 0);
  EXPECT_EQ(p->log_messages, 1);
  EXPECT_EQ(p->warehouse_messages, 1);
  EXPECT_EQ(p->dead_letters, 0);
  auto events = *log->ReadEvents(0, 10);
  EXPECT_EQ(events[0].payload.find("words of m-old"), std::string::npos);
  EXPECT_EQ(events[0].payload.find("a comment"), std::string::npos);
  EXPECT_NE(events[0].payload.find("\"author_role\":\"customer\""), std::string::npos);
  EXPECT_NE(events[1].payload.find("words of m-new"), std::string::npos);

  clock.Set(kT0 + 31 * kDay);
  p = retention.Run("retention");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->raw, 1);  // the unprocessed record stays until the processor has read it
  EXPECT_EQ(p->dead_letters, 1);
  EXPECT_EQ(p->log_messages, 1);
  ASSERT_EQ(log->ReadRaw(0, 10)->size(), 1u);

  auto audit = *store->ListAudit(0, 10);
  ASSERT_EQ(audit.size(), 6u);
  EXPECT_EQ(audit[0].action, "retention.purge");
  EXPECT_EQ(audit[0].target, "log_messages older than 10 days: 1");
  EXPECT_EQ(audit[2].target, "raw older than 30 days: 1");
  const std::string m = metrics.Render();
  EXPECT_NE(m.find(R"(supportpipe_retention_purged_total{what="raw"} 1)"), std::string::npos) << m;
  EXPECT_NE(m.find(R"(supportpipe_retention_purged_total{what="dead_letters"} 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace supportpipe::server
