#include "sync/zendesk_sync.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/test_dir.h"
#include "log/sqlite/sqlite_event_log.h"

namespace supportpipe::sync {
namespace {

std::string Page(const std::string& ids, const std::string& after, bool end) {
  std::string tickets;
  for (char id : ids) {
    if (!tickets.empty()) tickets += ",";
    tickets +=
        fmt::format(R"({{"id":{},"status":"open","updated_at":"2026-11-30T10:00:0{}Z"}})", id, id);
  }
  return fmt::format(R"({{"tickets":[{}],"after_cursor":"{}","end_of_stream":{}}})", tickets, after,
                     end ? "true" : "false");
}

class FakeZendesk {
 public:
  // cursor ("" = first page) -> answers in order; the last one repeats.
  std::map<std::string, std::vector<intake::FetchResponse>> pages;
  std::vector<std::string> urls;
  bool crash_after_first = false;

  Result<intake::FetchResponse> operator()(const intake::FetchRequest& req) {
    urls.push_back(req.url);
    if (crash_after_first && urls.size() > 1) return Internal("the process died here");
    EXPECT_EQ(req.headers[0].second, "Bearer tok");
    const size_t c = req.url.find("cursor=");
    const std::string cursor = c == std::string::npos ? "" : req.url.substr(c + 7);
    auto& answers = pages[cursor];
    intake::FetchResponse r = answers.front();
    if (answers.size() > 1) answers.erase(answers.begin());
    return r;
  }
};

intake::FetchResponse Ok(std::string body) { return {200, {}, std::move(body)}; }

class ZendeskSyncTest : public testing::Test {
 protected:
  void SetUp() override {
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    fake_.pages[""] = {Ok(Page("12", "c1", false))};
    fake_.pages["c1"] = {intake::FetchResponse{429, {{"retry-after", "7"}}, "slow down"},
                         Ok(Page("23", "c2", false))};
    fake_.pages["c2"] = {Ok(Page("4", "c3", true))};
  }

  SyncOptions Options() {
    return {.source = "zd",
            .api_url = "https://acme.zendesk.com/",
            .authorization = "Bearer tok",
            .start_time = 1700000000,
            .fetch = [this](const intake::FetchRequest& r) { return fake_(r); },
            .sleep = [this](int64_t s) { slept_.push_back(s); }};
  }

  TestDir dir_;
  std::unique_ptr<log::EventLog> log_;
  FakeZendesk fake_;
  std::vector<int64_t> slept_;
};

TEST_F(ZendeskSyncTest, FollowsCursorsHonoursRetryAfterAndStoresRepeatsOnce) {
  ZendeskSync sync(*log_, Options());
  auto p = sync.Run();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->end_of_stream);
  EXPECT_EQ(p->pages, 3);
  EXPECT_EQ(p->tickets, 5);
  EXPECT_EQ(p->reached, 1796032800 + 4);  // the newest updated_at read: 2026-11-30T10:00:04Z
  EXPECT_EQ(p->stored, 4);  // ticket 2 repeats across pages with the same content
  EXPECT_EQ(p->duplicates, 1);
  EXPECT_EQ(slept_, std::vector<int64_t>{7});
  EXPECT_EQ(
      fake_.urls[0],
      "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?start_time=1700000000");
  EXPECT_EQ(fake_.urls[1],
            "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=c1");
  EXPECT_EQ(**log_->GetState(ZendeskSync::StateKey("zd")), "c3");
  auto raw = *log_->ReadRaw(0, 10);
  ASSERT_EQ(raw.size(), 4u);
  EXPECT_EQ(raw[0].kind, "export:zendesk-tickets");
  EXPECT_EQ(raw[0].vendor, "zendesk");
}

TEST_F(ZendeskSyncTest, ResumesFromTheStoredCursorAfterACrash) {
  fake_.crash_after_first = true;
  {
    ZendeskSync first(*log_, Options());
    EXPECT_FALSE(first.Run().ok());
  }
  log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();  // a restart
  fake_.crash_after_first = false;
  fake_.urls.clear();
  ZendeskSync again(*log_, Options());
  auto p = again.Run();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_FALSE(fake_.urls.empty());
  EXPECT_NE(fake_.urls[0].find("cursor=c1"), std::string::npos) << fake_.urls[0];
  EXPECT_EQ(log_->ReadRaw(0, 10)->size(), 4u);
}

TEST_F(ZendeskSyncTest, GivesUpWithAClearErrorOnAuthFailureAndAfterRetries) {
  fake_.pages[""] = {intake::FetchResponse{401, {}, R"({"error":"Couldn't authenticate you"})"}};
  auto denied = ZendeskSync(*log_, Options()).Run();
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("api_token"), std::string::npos);
  fake_.pages[""] = {intake::FetchResponse{502, {}, "bad gateway"}};
  SyncOptions o = Options();
  o.max_retries = 3;
  auto down = ZendeskSync(*log_, o).Run();
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(slept_, (std::vector<int64_t>{1, 2, 4}));
}

}  // namespace
}  // namespace supportpipe::sync
