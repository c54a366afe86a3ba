#include "log/jetstream/jetstream_event_log.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <nats/nats.h>

#include "common/ascii.h"
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

// A stream of that name made by someone else (another subject, an age limit) is refused,
// naming it, rather than mixed with our records or allowed to drop them.
TEST(JetStreamEventLogTest, AForeignStreamOfTheSameNameIsRefused) {
  if (std::string why = Unavailable(); !why.empty()) {
    if (TestServersRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  TestDir dir;
  const std::string name = "f" + HexEncode(Sha256(dir.path())).substr(0, 16);
  const std::string urls = TestServerUrl("SUPPORTPIPE_TEST_NATS_URL");
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, urls.c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const std::string stream = AsciiUpper(name) + "_RAW", subject = "elsewhere." + name;
  cfg.Name = stream.c_str();
  const char* subjects[] = {subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* si = nullptr;
  ASSERT_EQ(js_AddStream(&si, js, &cfg, nullptr, nullptr), NATS_OK);
  jsStreamInfo_Destroy(si);
  auto log = OpenJetStreamEventLog(
      {.nats_urls = urls, .state_url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL"), .name = name});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(log.status().message().find(stream), std::string::npos) << log.status().ToString();
  js_DeleteStream(js, stream.c_str(), nullptr, nullptr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// Servers that require a token: with it the log works; without it the error says so.
TEST(JetStreamEventLogTest, ATokenIsSentAndAMissingOneIsNamed) {
  if (std::string why = Unavailable(); !why.empty()) {
    if (TestServersRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  TestDir dir;
  const std::string nats = dir.path() + "/nats";
  FILE* p =
      popen(("NATS_TOKEN=s3cret-token " SP_SCRIPTS_DIR "/nats.sh start " + nats).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[1024] = {};
  std::string url = fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  while (!url.empty() && url.back() == '\n') url.pop_back();
  ASSERT_EQ(url.rfind("nats://", 0), 0u) << url;
  JetStreamLogOptions o{.nats_urls = url,
                        .state_url = TestServerUrl("SUPPORTPIPE_TEST_PG_URL"),
                        .name = "a" + HexEncode(Sha256(dir.path())).substr(0, 16)};
  auto refused = OpenJetStreamEventLog(o);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("log_token_env"), std::string::npos);
  o.token = "s3cret-token";
  auto log = OpenJetStreamEventLog(o);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  RawRecord r;
  r.source = "s";
  r.delivery_id = "d";
  std::vector<AppendResult> res;
  EXPECT_TRUE((*log)->AppendRaw(std::vector<RawRecord>{r}, &res).ok());
  log->reset();
  std::system((SP_SCRIPTS_DIR "/nats.sh stop " + nats).c_str());
}

INSTANTIATE_TEST_SUITE_P(JetStream, EventLogContract,
                         testing::Values(EventLogFactory{"jetstream", Open, Unavailable}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace supportpipe::log
