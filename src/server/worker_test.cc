#include "server/worker.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/file_lock.h"
#include "common/test_dir.h"
#include "log/sqlite/sqlite_event_log.h"
#include "sources/decoder.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::server {
namespace {

TEST(FileLockTest, OnlyOneProcessHoldsItAndDeathReleasesIt) {
  TestDir dir;
  const std::string path = dir.path() + "/worker.lock";
  auto held = FileLock::TryAcquire(path);
  ASSERT_TRUE(held.ok());
  ASSERT_NE(*held, nullptr);
  // Another process cannot take it while we hold it...
  pid_t child = fork();
  if (child == 0) {
    auto other = FileLock::TryAcquire(path);
    _exit(other.ok() && *other == nullptr ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // ...and can once we let go.
  held->reset();
  child = fork();
  if (child == 0) {
    auto other = FileLock::TryAcquire(path);
    _exit(other.ok() && *other != nullptr ? 0 : 1);
  }
  waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Appends a canonical event as a raw record, as intake would.
::testing::AssertionResult AppendCanonical(log::EventLog& log, const std::string& id,
                                           const std::string& body, TimeMicros now) {
  log::RawRecord r;
  r.source = "s";
  r.kind = std::string(sources::kKindEvent);
  r.vendor = "canonical";
  r.delivery_id = id;
  r.received_at = now;
  r.headers = "{}";
  r.body = body;
  std::vector<log::AppendResult> res;
  Status s = log.AppendRaw(std::vector<log::RawRecord>{r}, &res);
  if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
  return ::testing::AssertionSuccess();
}

constexpr const char* kCreated =
    R"({"spec":"supportpipe/v1","id":"e1","type":"ticket.created","occurred_at":"2026-01-01T00:00:00Z","ticket":{"id":"T"}})";

TEST(WorkerTest, DrainsRawRecordsIntoTheWarehouse) {
  TestDir test_dir;
  const std::string& dir = test_dir.path();
  SystemClock clock;
  observe::Registry metrics;
  auto log = std::move(log::OpenSqliteEventLog(dir)).value();
  auto wh = std::move(warehouse::OpenSqliteWarehouse(dir + "/warehouse.db", clock, {})).value();
  ASSERT_TRUE(AppendCanonical(*log, "e1", kCreated, clock.Now()));
  auto decoders = std::move(sources::DecoderSet::Create({})).value();
  Config config;
  config.storage.data_dir = dir;
  Worker w(*log, *wh, *decoders, clock, metrics, config);
  ASSERT_TRUE(w.TryActivate());
  w.Start();
  w.NotifyRaw();
  for (int i = 0; i < 500 && !w.Idle(); ++i) usleep(10000);
  EXPECT_TRUE(w.Idle());
  w.Stop();
  EXPECT_EQ(*wh->Position("loader"), 1u);
  EXPECT_FALSE(w.active());
}

// With a shared warehouse, two workers over one log share the stage groups out, and one
// takes the other's group over when it stops. (The warehouse here is one SQLite file both
// open; the config's PostgreSQL URL only turns the sharing on.)
TEST(WorkerTest, TwoWorkersShareTheGroupsAndOneTakesOverWhenTheOtherStops) {
  TestDir test_dir;
  const std::string& dir = test_dir.path();
  SystemClock clock;
  observe::Registry metrics_a, metrics_b;
  auto log_a = std::move(log::OpenSqliteEventLog(dir)).value();
  auto log_b = std::move(log::OpenSqliteEventLog(dir)).value();  // as another process would
  auto wh = std::move(warehouse::OpenSqliteWarehouse(dir + "/warehouse.db", clock, {})).value();
  auto decoders = std::move(sources::DecoderSet::Create({})).value();
  Config config;
  config.storage.data_dir = dir;
  config.storage.warehouse = "postgresql://unused/shared";
  ASSERT_TRUE(config.storage.pg_warehouse());
  auto a = std::make_unique<Worker>(*log_a, *wh, *decoders, clock, metrics_a, config);
  Worker b(*log_b, *wh, *decoders, clock, metrics_b, config);
  a->Start();
  auto eventually = [](auto ok) {  // up to 10 s: the stages run at SCHED_IDLE
    for (int i = 0; i < 200; ++i) {
      if (ok()) return true;
      usleep(50000);
    }
    return false;
  };
  // Alone, a runs both groups.
  ASSERT_TRUE(eventually([&] { return a->active(Worker::kLoad) && a->active(Worker::kFeed); }));
  b.Start();
  // With b, each runs one: the member with the lower slot (a) the load group.
  ASSERT_TRUE(eventually([&] {
    return a->active(Worker::kLoad) && !a->active(Worker::kFeed) && b.active(Worker::kFeed) &&
           !b.active(Worker::kLoad);
  }));
  // Work flows through both: b decodes (feed), a loads.
  ASSERT_TRUE(AppendCanonical(*log_a, "e1", kCreated, clock.Now()));
  ASSERT_TRUE(eventually([&] { return *wh->Position("loader") == 1u; }));
  // a stops: b takes the load group over too.
  a.reset();
  ASSERT_TRUE(eventually([&] { return b.active(Worker::kLoad) && b.active(Worker::kFeed); }));
  ASSERT_TRUE(AppendCanonical(
      *log_b, "e2",
      R"({"spec":"supportpipe/v1","id":"e2","type":"ticket.updated","occurred_at":"2026-01-01T01:00:00Z","ticket":{"id":"T","status":"open"}})",
      clock.Now()));
  ASSERT_TRUE(eventually([&] { return *wh->Position("loader") == 2u; }));
  b.Stop();
  EXPECT_FALSE(b.active(Worker::kLoad));
  EXPECT_FALSE(b.active(Worker::kFeed));
}

}  // namespace
}  // namespace supportpipe::server
