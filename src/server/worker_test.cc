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

TEST(WorkerTest, DrainsRawRecordsIntoTheWarehouse) {
  TestDir test_dir;
  const std::string& dir = test_dir.path();
  SystemClock clock;
  observe::Registry metrics;
  auto log = std::move(log::OpenSqliteEventLog(dir)).value();
  auto wh = std::move(warehouse::OpenSqliteWarehouse(dir + "/warehouse.db", clock, {})).value();
  log::RawRecord r;
  r.source = "s";
  r.kind = std::string(sources::kKindEvent);
  r.vendor = "canonical";
  r.delivery_id = "e1";
  r.received_at = clock.Now();
  r.headers = "{}";
  r.body =
      R"({"spec":"supportpipe/v1","id":"e1","type":"ticket.created","occurred_at":"2026-01-01T00:00:00Z","ticket":{"id":"T"}})";
  std::vector<log::AppendResult> res;
  ASSERT_TRUE(log->AppendRaw(std::vector<log::RawRecord>{r}, &res).ok());
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

}  // namespace
}  // namespace supportpipe::server
