#include "log/jetstream/jetstream_event_log.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/crypto.h"
#include "common/test_dir.h"
#include "common/test_servers.h"
#include "log/event_log_contract.h"

namespace supportpipe::log {
namespace {

// Each test directory gets its own streams and schema, named after it, so a reopen finds
// the same log and tests never see each other's records.
Result<std::unique_ptr<EventLog>> Open(const std::string& dir) {
  return OpenJetStreamEventLog({.nats_urls = TestServerUrl("SUPPORTPIPE_TEST_NATS_URL"),
                                .state_url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL"),
                                .name = "t" + HexEncode(Sha256(dir)).substr(0, 16)});
}

std::string Unavailable() {
  if (TestServerUrl("SUPPORTPIPE_TEST_NATS_URL").empty() ||
      TestServerUrl("SUPPORTPIPE_TEST_PG_URL").empty()) {
    return "SUPPORTPIPE_TEST_NATS_URL and SUPPORTPIPE_TEST_PG_URL are not set "
           "(scripts/test.sh starts the servers)";
  }
  return "";
}

// Past JetStream's duplicate window only the keys in PostgreSQL know a repeat: it must still
// be a duplicate, and the copy published before the key was checked must not stay behind.
TEST(JetStreamEventLogTest, RepeatsAfterTheDuplicateWindowAreFoundByTheirKeys) {
  if (std::string why = Unavailable(); !why.empty()) {
    if (TestServersRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  TestDir dir;
  auto log = OpenJetStreamEventLog({.nats_urls = TestServerUrl("SUPPORTPIPE_TEST_NATS_URL"),
                                    .state_url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL"),
                                    .name = "w" + HexEncode(Sha256(dir.path())).substr(0, 16),
                                    .duplicate_window_s = 1});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  RawRecord r;
  r.source = "s";
  r.kind = "webhook";
  r.delivery_id = "d1";
  r.body = "one";
  std::vector<AppendResult> first, again;
  ASSERT_TRUE((*log)->AppendRaw(std::vector<RawRecord>{r}, &first).ok());
  ASSERT_EQ(first[0].outcome, AppendOutcome::kAppended);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE((*log)->AppendRaw(std::vector<RawRecord>{r}, &again).ok());
  EXPECT_EQ(again[0].outcome, AppendOutcome::kDuplicate);
  EXPECT_EQ(again[0].offset, first[0].offset);
  auto all = (*log)->ReadRaw(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].offset, first[0].offset);
}

// A worker in one process hears of raw appends made by another.
TEST(JetStreamEventLogTest, WatchersHearOfAppendsFromOtherConnections) {
  if (std::string why = Unavailable(); !why.empty()) {
    if (TestServersRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  TestDir dir;
  auto watcher = Open(dir.path());
  auto appender = Open(dir.path());
  ASSERT_TRUE(watcher.ok() && appender.ok());
  std::mutex mu;
  std::condition_variable cv;
  int heard = 0;
  auto watch = (*watcher)->WatchRaw([&] {
    std::lock_guard lock(mu);
    ++heard;
    cv.notify_all();
  });
  ASSERT_NE(watch, nullptr);
  RawRecord r;
  r.source = "s";
  r.delivery_id = "d1";
  std::vector<AppendResult> res;
  ASSERT_TRUE((*appender)->AppendRaw(std::vector<RawRecord>{r}, &res).ok());
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return heard > 0; }));
  lock.unlock();
  watch.reset();  // no callback after this returns
  const int before = heard;
  r.delivery_id = "d2";
  ASSERT_TRUE((*appender)->AppendRaw(std::vector<RawRecord>{r}, &res).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard after(mu);
  EXPECT_EQ(heard, before);
}

INSTANTIATE_TEST_SUITE_P(JetStream, EventLogContract,
                         testing::Values(EventLogFactory{"jetstream", Open, Unavailable}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::log
