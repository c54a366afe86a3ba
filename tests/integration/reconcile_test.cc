// `supportpipe reconcile` against an export file and a local fake of Zendesk's API, with
// planted gaps (tickets missing from the warehouse), divergences (a status changed since)
// and an extra ticket; --repair closes the gaps through the pipeline without duplicates.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"
#include "intake/http.h"

namespace supportpipe::testing_support {
namespace {

std::string Ticket(int id, const std::string& status, int updated_hour = 9) {
  return fmt::format(
      R"({{"id":{},"via":{{"channel":"email"}},"created_at":"2026-11-30T08:{:02d}:00Z",)"
      R"("updated_at":"2026-11-30T{:02d}:{:02d}:00Z","subject":"Ticket {}",)"
      R"("priority":"normal","status":"{}","requester_id":{}}})",
      id, id, updated_hour, id, id, status, 9000 + id);
}

std::string Export(const std::vector<std::string>& tickets) {
  std::string list;
  for (const auto& t : tickets) list += (list.empty() ? "" : ",") + t;
  return R"({"tickets":[)" + list + "]}";
}

// Tickets 1-12 as Zendesk has them now: 3 was solved since, 5 was deleted.
std::vector<std::string> Truth() {
  std::vector<std::string> out;
  for (int id = 1; id <= 12; ++id) {
    if (id == 5) continue;
    out.push_back(id == 3 ? Ticket(id, "solved", 15) : Ticket(id, "open"));
  }
  return out;
}

// Zendesk's incremental export over the truth, two pages.
class FakeZendesk : public intake::HttpHandler {
 public:
  void Handle(intake::HttpRequest req, intake::Responder respond) override {
    const std::vector<std::string> t = Truth();
    if (req.target.find("start_time=") != std::string::npos) {
      std::vector<std::string> first(t.begin(), t.begin() + 6);
      return respond({.body = Export(first).substr(0, Export(first).size() - 1) +
                              R"(,"after_cursor":"p2","end_of_stream":false})"});
    }
    std::vector<std::string> rest(t.begin() + 6, t.end());
    respond({.body = Export(rest).substr(0, Export(rest).size() - 1) +
                     R"(,"after_cursor":"p3","end_of_stream":true})"});
  }
};

// A zendesk source reading the fake API on `port`, plus `extra` keys.
std::string ZendeskSource(uint16_t port, const std::string& extra) {
  return fmt::format(
      "[[source]]\nname = \"zd\"\nvendor = \"zendesk\"\nsecret_env = \"SP_ZD_SECRET\"\n"
      "api_url = \"http://127.0.0.1:{}\"\napi_token_env = \"SP_ZD_TOKEN\"\n{}",
      port, extra);
}

std::map<std::string, std::string> Env() {
  return {{"SP_ZD_SECRET", "s"}, {"SP_ZD_TOKEN", "zt-token"}};
}

TEST(ReconcileIntegrationTest, FindsGapsDivergencesAndExtrasAndRepairsWithoutDuplicates) {
  FakeZendesk fake;
  auto api = std::move(intake::HttpServer::Start({.host = "127.0.0.1", .port = 0}, fake)).value();
  Harness h(ZendeskSource(api->port(), "api_email = \"support@acme.test\"\n"), Env());
  // The warehouse has tickets 1-10, all open.
  std::vector<std::string> loaded;
  for (int id = 1; id <= 10; ++id) loaded.push_back(Ticket(id, "open"));
  std::ofstream(h.dir() + "/old.json") << Export(loaded);
  ASSERT_EQ(h.Cli({"import", "-s", "zd", "--format", "zendesk-tickets", "old.json"}).exit_code, 0);
  std::ofstream(h.dir() + "/truth.json") << Export(Truth());

  const std::vector<std::string> range = {
      "reconcile", "-s", "zd", "--from", "2026-11-30", "--to", "2026-12-01", "--format", "csv"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = range;
    args.insert(args.end(), extra.begin(), extra.end());
    return h.Cli(args);
  };
  const std::string expected =
      "ticket,difference,field,truth,warehouse\n"
      "11,missing,,open,\n"
      "12,missing,,open,\n"
      "3,diverging,status,solved,open\n"
      "5,extra,,,open\n";
  auto file = with({"--file", "truth.json"});
  EXPECT_EQ(file.exit_code, 3) << file.err;
  EXPECT_EQ(file.out, expected);
  EXPECT_NE(file.err.find("11 tickets there, 10 here; 2 missing, 1 extra, 1 diverging"),
            std::string::npos)
      << file.err;
  // The same from the API.
  auto fromapi = with({});
  EXPECT_EQ(fromapi.exit_code, 3) << fromapi.err;
  EXPECT_EQ(fromapi.out, expected);

  // Repair, twice: the gaps close, nothing doubles, the extra ticket is reported, not deleted.
  for (int i = 0; i < 2; ++i) {
    auto repaired = with({"--file", "truth.json", "--repair"});
    ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  }
  auto after = with({"--file", "truth.json"});
  EXPECT_EQ(after.out, "ticket,difference,field,truth,warehouse\n5,extra,,,open\n");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket"), "12");
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE ticket_id = '3'"), "solved");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE ticket_id = '11'"),
            h.Scalar("SELECT COUNT(DISTINCT event_id) FROM fact_ticket_event WHERE ticket_id = "
                     "'11'"));
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) || ' ' || SUM(repaired) FROM _reconciliation"), "5 3");
  EXPECT_EQ(h.Scalar("SELECT missing || ' ' || extra || ' ' || diverging FROM _reconciliation "
                     "ORDER BY run_id DESC LIMIT 1"),
            "0 1 0");

  // The server's /metrics shows the last run per source.
  ASSERT_TRUE(h.Start());
  const std::string m = h.Get("/metrics").body;
  EXPECT_NE(m.find(R"(supportpipe_reconciliation_differences{source="zd",kind="extra"} 1)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(R"(supportpipe_reconciliation_differences{source="zd",kind="missing"} 0)"),
            std::string::npos);
}

TEST(ReconcileIntegrationTest, TheServerReconcilesOnScheduleAndRepairs) {
  FakeZendesk fake;
  auto api = std::move(intake::HttpServer::Start({.host = "127.0.0.1", .port = 0}, fake)).value();
  Harness h(
      ZendeskSource(api->port(),
                    "reconcile_every_h = 24\nreconcile_days = 3650\nreconcile_repair = true\n"),
      Env());
  ASSERT_TRUE(h.Start());
  // At start: everything the API has is missing, and is backfilled.
  for (int i = 0; i < 200 && h.Scalar("SELECT COUNT(*) FROM fact_ticket") != "11"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket"), "11");
  EXPECT_EQ(h.Scalar("SELECT missing || ' ' || repaired FROM _reconciliation"), "11 11");
  EXPECT_NE(
      h.Get("/metrics")
          .body.find(R"(supportpipe_reconciliation_differences{source="zd",kind="missing"} 11)"),
      std::string::npos);
}

}  // namespace
}  // namespace supportpipe::testing_support
