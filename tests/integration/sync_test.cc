// `supportpipe sync` against a local server that answers in Zendesk's documented shape:
// cursor pages, a 429 with Retry-After, and the process killed in the middle of a cursor.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "harness.h"
#include "intake/http.h"

namespace supportpipe::testing_support {
namespace {

std::string Ticket(int id, const std::string& status, const std::string& updated) {
  return fmt::format(R"({{"id":{},"url":"https://acme.zendesk.com/api/v2/tickets/{}.json",)"
                     R"("via":{{"channel":"email"}},"created_at":"2026-11-30T08:00:00Z",)"
                     R"("updated_at":"{}","subject":"Ticket {}","priority":"normal",)"
                     R"("status":"{}","requester_id":{},"tags":["sync"]}})",
                     id, id, updated, id, status, 9000 + id);
}

std::string Page(const std::vector<std::string>& tickets, const std::string& after, bool end) {
  std::string list;
  for (const auto& t : tickets) list += (list.empty() ? "" : ",") + t;
  return fmt::format(R"({{"tickets":[{}],"after_url":"x","after_cursor":"{}",)"
                     R"("before_cursor":null,"end_of_stream":{}}})",
                     list, after, end ? "true" : "false");
}

// The fake API. Records what was asked; can hold a request until released.
class FakeZendesk : public intake::HttpHandler {
 public:
  void Handle(intake::HttpRequest req, intake::Responder respond) override {
    std::unique_lock lock(mu_);
    requests_.push_back(req.target);
    if (req.Header("authorization") !=
        "Basic " + std::string("c3VwcG9ydEBhY21lLnRlc3QvdG9rZW46enQtdG9rZW4=")) {
      return respond({.status = 401, .body = R"({"error":"Couldn't authenticate you"})"});
    }
    const std::string target = req.target;
    if (target.find("start_time=") != std::string::npos) {
      return respond({.body = Page({Ticket(1, "open", "2026-11-30T09:00:00Z"),
                                    Ticket(2, "pending", "2026-11-30T09:30:00Z")},
                                   "c1", false)});
    }
    if (target.find("cursor=c1") != std::string::npos) {
      if (!limited_) {
        limited_ = true;
        return respond({.status = 429, .body = "{}", .headers = {{"Retry-After", "1"}}});
      }
      return respond({.body = Page({Ticket(2, "pending", "2026-11-30T09:30:00Z"),
                                    Ticket(3, "solved", "2026-11-30T10:00:00Z")},
                                   "c2", false)});
    }
    if (target.find("cursor=c2") != std::string::npos) {
      ++c2_seen_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
      return respond({.body = Page({Ticket(4, "new", "2026-11-30T11:00:00Z")}, "c3", true)});
    }
    if (target.find("cursor=c3") != std::string::npos) {
      return respond({.body = Page({}, "c3", true)});  // nothing changed since
    }
    respond({.status = 404, .body = "{}"});
  }

  void WaitForC2() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return c2_seen_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void ClearRequests() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> requests_;
  bool limited_ = false;
  bool released_ = false;
  int c2_seen_ = 0;
};

std::string SyncConfig(int port) {
  return fmt::format(R"(
[[source]]
name = "zd"
vendor = "zendesk"
secret_env = "ZD_SECRET"
api_url = "http://127.0.0.1:{}"
api_email = "support@acme.test"
api_token_env = "ZD_API_TOKEN"
)",
                     port);
}

TEST(SyncIntegrationTest, PullsPagesHonours429AndResumesAfterAKillMidCursor) {
  FakeZendesk api;
  auto server = std::move(intake::HttpServer::Start({.port = 0, .threads = 2}, api)).value();
  Harness h(SyncConfig(server->port()), {{"ZD_SECRET", "s"}, {"ZD_API_TOKEN", "zt-token"}});

  // First run: killed while the third page (cursor c2) is in flight.
  const pid_t pid = h.CliStart({"sync", "-s", "zd"});
  api.WaitForC2();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(h.CliWait(pid).exit_code, -1);
  auto first = api.Requests();
  ASSERT_EQ(first.size(), 4u);  // start, c1 (429), c1, c2
  EXPECT_NE(first[0].find("/api/v2/incremental/tickets/cursor.json?start_time=0"),
            std::string::npos)
      << first[0];

  // Second run: resumes at c2, not from the start.
  api.Release();
  api.ClearRequests();
  auto second = h.Cli({"sync", "-s", "zd"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  auto resumed = api.Requests();
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_NE(resumed[0].find("cursor=c2"), std::string::npos) << resumed[0];
  EXPECT_NE(second.err.find("caught up"), std::string::npos) << second.err;

  // Every ticket exactly once, with its latest state.
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket WHERE source = 'zd'"), "4");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE source = 'zd'"), "4");
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE ticket_id = '3'"), "solved");
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE ticket_id = '4'"), "new");

  // A third run asks only for what changed since.
  api.ClearRequests();
  EXPECT_EQ(h.Cli({"sync", "-s", "zd"}).exit_code, 0);
  ASSERT_EQ(api.Requests().size(), 1u);
  EXPECT_NE(api.Requests()[0].find("cursor=c3"), std::string::npos);
  server->Stop();
}

TEST(SyncIntegrationTest, ABadTokenIsAClearError) {
  FakeZendesk api;
  auto server = std::move(intake::HttpServer::Start({.port = 0, .threads = 1}, api)).value();
  Harness h(SyncConfig(server->port()), {{"ZD_SECRET", "s"}, {"ZD_API_TOKEN", "wrong"}});
  auto r = h.Cli({"sync", "-s", "zd"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("api_token"), std::string::npos) << r.err;
  server->Stop();
}

}  // namespace
}  // namespace supportpipe::testing_support
