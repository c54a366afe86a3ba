// Drives the real binary over HTTP and the CLI, and checks what lands in the warehouse.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "harness.h"
#include "sources/standard/standard_webhooks.h"

namespace supportpipe::testing_support {
namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string Ev(const std::string& id, const std::string& type, const std::string& at,
               const std::string& rest) {
  return R"({"spec":"supportpipe/v1","id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":")" + at + "\"" + (rest.empty() ? "" : "," + rest) + "}";
}

std::map<std::string, std::string> Signed(const std::string& id, const std::string& body,
                                          int64_t skew_s = 0) {
  const std::string ts = std::to_string(SystemClock().Now() / 1000000 + skew_s);
  return {{"webhook-id", id},
          {"webhook-timestamp", ts},
          {"webhook-signature", *sources::StandardWebhooksSign(kSecret, id, ts, body)}};
}

const char* kSources = R"(
[[source]]
name = "acme"
vendor = "standard"
secret_env = "SP_IT_SECRET"

[[source]]
name = "crm"
vendor = "canonical"
token_env = "SP_IT_TOKEN"
)";

std::map<std::string, std::string> Env() {
  return {{"SP_IT_SECRET", kSecret}, {"SP_IT_TOKEN", "crm-token-1"}};
}

TEST(IntegrationTest, EventsGetPerEventVerdictsAndLandInTimelineOrder) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string batch =
      "[" +
      Ev("e1", "ticket.created", "2026-11-01T10:00:00Z",
         R"("ticket":{"id":"T1","status":"new","channel":"email","subject":"Refund"},"customer":{"id":"c1","email":"ana@example.com"})") +
      "," +
      Ev("e3", "ticket.status_changed", "2026-11-01T12:00:00Z",
         R"("ticket":{"id":"T1"},"changes":{"status":{"to":"solved"}})") +
      "," + Ev("bad", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"status":"new"})") +
      "," + Ev("e1", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"id":"T1"})") + "]";
  auto r = h.Post("/v1/events", batch);
  EXPECT_EQ(r.status, 207) << r.body;
  EXPECT_NE(r.body.find(R"("accepted":2,"duplicate":1,"rejected":1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"index":2,"status":"rejected","error":{"pointer":"/ticket/id")"),
            std::string::npos)
      << r.body;
  // Out of order: happened before the solve, arrives after it.
  auto late =
      h.Post("/v1/events",
             Ev("e2", "ticket.status_changed", "2026-11-01T11:00:00Z",
                R"("ticket":{"id":"T1","assignee":"a9"},"changes":{"status":{"to":"open"}})"));
  EXPECT_EQ(late.status, 202) << late.body;
  auto again =
      h.Post("/v1/events", Ev("e2", "ticket.status_changed", "2026-11-01T11:00:00Z",
                              R"("ticket":{"id":"T1"},"changes":{"status":{"to":"pending"}})"));
  EXPECT_EQ(again.status, 200) << again.body;
  // JSON lines, detected without a content type.
  auto lines = h.Post(
      "/v1/events",
      Ev("m1", "message.created", "2026-11-01T10:30:00Z",
         R"("ticket":{"id":"T1"},"message":{"author":"a9","author_role":"agent","public":true,"body":"On it"})") +
          "\n" +
          Ev("c2", "customer.upserted", "2026-11-01T09:00:00Z",
             R"("customer":{"id":"c2","tier":"vip"})") +
          "\n");
  EXPECT_EQ(lines.status, 202) << lines.body;
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT status || '/' || assignee_id || '/' || event_count FROM fact_ticket "
                     "WHERE ticket_id='T1'"),
            "solved/a9/4");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "5");
  EXPECT_EQ(h.Scalar("SELECT body FROM fact_message WHERE ticket_id='T1'"), "On it");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer"), "2");
  EXPECT_EQ(h.Scalar("SELECT source FROM fact_ticket"), "api");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE raw_offset > 0 AND event_id <> "
                     "'' AND loaded_at <> ''"),
            "5");
  EXPECT_TRUE(h.Stop());
}

TEST(IntegrationTest, StandardWebhooksStatusCodes) {
  Harness h(kSources, Env());
  ASSERT_TRUE(h.Start());
  const std::string body =
      Ev("w1", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"id":"W1"})");
  auto ok = h.Post("/v1/webhooks/acme", body, Signed("msg_1", body));
  EXPECT_EQ(ok.status, 202) << ok.body;
  auto dup = h.Post("/v1/webhooks/acme", body, Signed("msg_1", body));
  EXPECT_EQ(dup.status, 200) << dup.body;
  auto tampered = Signed("msg_2", body);
  auto bad = h.Post("/v1/webhooks/acme", body + " ", tampered);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body.find("whsec"), std::string::npos);
  auto stale = h.Post("/v1/webhooks/acme", body, Signed("msg_3", body, -301));
  EXPECT_EQ(stale.status, 401);
  auto missing = h.Post("/v1/webhooks/acme", body);
  EXPECT_EQ(missing.status, 401);
  const std::string junk = "{not json";
  auto unusable = h.Post("/v1/webhooks/acme", junk, Signed("msg_4", junk));
  EXPECT_EQ(unusable.status, 400) << unusable.body;
  auto unknown = h.Post("/v1/webhooks/nope", body, Signed("msg_5", body));
  EXPECT_EQ(unknown.status, 404);
  auto huge = std::string(2 << 20, ' ');
  auto too_big = h.Post("/v1/webhooks/acme", huge, Signed("msg_6", huge));
  EXPECT_EQ(too_big.status, 413);
  // Canonical vendor: bearer token.
  EXPECT_EQ(h.Post("/v1/webhooks/crm", body).status, 401);
  auto crm =
      h.Post("/v1/webhooks/crm",
             Ev("k1", "customer.upserted", "2026-11-01T10:00:00Z", R"("customer":{"id":"k1"})"),
             {{"Authorization", "Bearer crm-token-1"}});
  EXPECT_EQ(crm.status, 202) << crm.body;
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket WHERE ticket_id='W1' AND source='acme'"),
            "1");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer WHERE source='crm'"), "1");
  const std::string metrics = h.Get("/metrics").body;
  EXPECT_NE(metrics.find(
                R"(supportpipe_auth_failures_total{source="acme",reason="signature_mismatch"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find(
                R"(supportpipe_auth_failures_total{source="acme",reason="timestamp_too_old"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics.find(R"(supportpipe_auth_failures_total{source="acme",reason="missing_header"} 1)"),
      std::string::npos);
  EXPECT_NE(
      metrics.find(
          R"(supportpipe_http_requests_total{route="webhooks",source="acme",status="202"} 1)"),
      std::string::npos);
  EXPECT_NE(metrics.find("supportpipe_dead_letters_open 1\n"), std::string::npos);
  // msg_1, msg_4 (kept although unusable) and the crm delivery; msg_1 once more as a duplicate.
  EXPECT_NE(metrics.find(R"(supportpipe_raw_records_total{source="acme",outcome="appended"} 2)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(supportpipe_raw_records_total{source="acme",outcome="duplicate"} 1)"),
            std::string::npos);
  // The four stored requests (acme's three and crm's) came one by one: a commit each.
  EXPECT_NE(metrics.find("supportpipe_group_commit_records_sum 4\n"), std::string::npos);
  EXPECT_NE(metrics.find("supportpipe_group_commit_records_count 4\n"), std::string::npos);
  EXPECT_NE(metrics.find("supportpipe_group_commit_seconds_count 4\n"), std::string::npos);
  // The unusable body is kept exactly and visible in the dead-letter queue.
  auto dlq = h.Cli({"dlq", "list", "--config", h.config_path(), "--format", "csv"});
  EXPECT_EQ(dlq.exit_code, 0) << dlq.err;
  EXPECT_NE(dlq.out.find(",decode,acme,"), std::string::npos) << dlq.out;
  auto show = h.Cli({"dlq", "show", "1", "--config", h.config_path()});
  EXPECT_NE(show.out.find("{not json"), std::string::npos) << show.out;
  EXPECT_TRUE(h.Stop());
}

TEST(IntegrationTest, FullQueueAnswers429WithRetryAfter) {
  Harness h("[server]\n", {});
  // max_pending_appends = 1: a two-event batch can never be queued.
  std::ofstream(h.config_path())
      << "[server]\nlisten = \"127.0.0.1:0\"\nmax_pending_appends = 1\n[storage]\ndata_dir = \""
      << h.dir() << "/data\"\n";
  ASSERT_TRUE(h.Start());
  auto r = h.Post(
      "/v1/events",
      "[" + Ev("a", "customer.upserted", "2026-11-01T10:00:00Z", R"("customer":{"id":"1"})") + "," +
          Ev("b", "customer.upserted", "2026-11-01T10:00:00Z", R"("customer":{"id":"2"})") + "]");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_EQ(h.Post("/v1/events",
                   Ev("a", "customer.upserted", "2026-11-01T10:00:00Z", R"("customer":{"id":"1"})"))
                .status,
            202);
}

// Many senders at once against a low max_pending_requests: the ones beyond it are told to
// retry at once (429 + Retry-After), every 202 is kept, and nothing else goes wrong.
TEST(IntegrationTest, RequestsBeyondThePendingBoundAreRefusedEarly) {
  Harness h("[server]\n", {});
  std::ofstream(h.config_path())
      << "[server]\nlisten = \"127.0.0.1:0\"\nmax_pending_requests = 2\n[storage]\ndata_dir = \""
      << h.dir() << "/data\"\n";
  ASSERT_TRUE(h.Start());
  constexpr int kThreads = 16, kEach = 12, kPerRequest = 20;
  std::atomic<int> accepted{0}, refused{0}, other{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int r = 0; r < kEach; ++r) {
        std::string body = "[";
        for (int k = 0; k < kPerRequest; ++k) {
          const std::string id = fmt::format("c-{}-{}-{}", t, r, k);
          body += (k ? "," : "") + Ev(id, "customer.upserted", "2026-11-01T10:00:00Z",
                                      R"("customer":{"id":")" + id + R"("})");
        }
        auto res = h.Post("/v1/events", body + "]");
        if (res.status == 202) {
          ++accepted;
        } else if (res.status == 429 && res.headers["retry-after"] == "1") {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(refused.load(), 0);
  EXPECT_GT(accepted.load(), 0);
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer"),
            std::to_string(accepted.load() * kPerRequest));
  EXPECT_TRUE(h.Stop());
}

TEST(IntegrationTest, IngestTokenGuardsEventsAndSourcesAreChecked) {
  Harness h("[server]\n", {{"SP_IT_INGEST", "ingest-1"}});
  std::ofstream(h.config_path())
      << "[server]\nlisten = \"127.0.0.1:0\"\ningest_token_env = \"SP_IT_INGEST\"\n"
      << "[storage]\ndata_dir = \"" << h.dir() << "/data\"\n";
  ASSERT_TRUE(h.Start());
  const std::string ev = Ev("t1", "customer.upserted", "2026-11-01T10:00:00Z",
                            R"("source":"crm-eu","customer":{"id":"1"})");
  EXPECT_EQ(h.Post("/v1/events", ev).status, 401);
  EXPECT_EQ(h.Post("/v1/events", ev, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(h.Post("/v1/events", ev, {{"Authorization", "Bearer ingest-1"}}).status, 202);
  auto bad = h.Post("/v1/events",
                    Ev("t2", "customer.upserted", "2026-11-01T10:00:00Z",
                       R"("source":"no spaces please","customer":{"id":"1"})"),
                    {{"Authorization", "Bearer ingest-1"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("pointer":"/source")"), std::string::npos) << bad.body;
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT source FROM dim_customer"), "crm-eu");
}

TEST(IntegrationTest, HealthReadinessAndUnknownRoutes) {
  Harness h;
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Get("/healthz").status, 200);
  EXPECT_EQ(h.Get("/readyz").status, 200);
  EXPECT_EQ(h.Get("/nope").status, 404);
  EXPECT_EQ(h.Get("/v1/events").status, 405);
  auto m = h.Get("/metrics");
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_NE(m.body.find("# TYPE supportpipe_consumer_lag_records gauge"), std::string::npos);
}

TEST(IntegrationTest, RequestIdsJsonLogsAndTheDashboard) {
  Harness h(kSources, Env());
  ASSERT_TRUE(h.Start());
  // A refused webhook: its id comes back, and its log line carries it (stderr is a file, so
  // the lines are JSON).
  auto refused = h.Post("/v1/webhooks/acme", "{}", {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.headers["x-request-id"], "trace-42");
  // An accepted event gets a new id (a silly one is replaced), kept with its raw record.
  auto ok = h.Post("/v1/events",
                   Ev("rq1", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"id":"R1"})"),
                   {{"X-Request-Id", "has spaces"}});
  EXPECT_EQ(ok.status, 202);
  const std::string id = ok.headers["x-request-id"];
  EXPECT_EQ(id.size(), 24u) << id;
  ASSERT_TRUE(h.WaitForLoaded());
  auto dashboard = h.Get("/");
  EXPECT_EQ(dashboard.status, 200);
  EXPECT_EQ(dashboard.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(dashboard.headers["content-security-policy"].find("default-src 'self'"),
            std::string::npos);
  EXPECT_NE(dashboard.body.find("/dashboard/app.js"), std::string::npos);
  EXPECT_EQ(h.Get("/dashboard/app.js").headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(h.Get("/dashboard/missing.js").status, 404);
  ASSERT_TRUE(h.Stop());

  std::ifstream err(h.dir() + "/serve.err");
  bool found = false;
  int lines = 0;
  for (std::string line; std::getline(err, line); ++lines) {
    EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
    EXPECT_EQ(line.back(), '}') << line;
    if (line.find(R"("request_id":"trace-42")") != std::string::npos) {
      found = true;
      EXPECT_NE(line.find(R"("status":"401")"), std::string::npos) << line;
      EXPECT_NE(line.find(R"("path":"/v1/webhooks/acme")"), std::string::npos) << line;
    }
  }
  EXPECT_GT(lines, 2);
  EXPECT_TRUE(found);
  // The raw record keeps the request id among its headers.
  auto db = SqliteDb::Open(h.dir() + "/data/raw.db", {.read_only = true});
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->PrepareOnce("SELECT headers FROM raw_events WHERE delivery_id = 'rq1'");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*(*stmt)->Step());
  EXPECT_NE((*stmt)->Text(0).find("\"x-request-id\":\"" + id + "\""), std::string::npos)
      << (*stmt)->Text(0);
}

TEST(IntegrationTest, StatusShowsTheServerLagDeadLettersAndFreshness) {
  Harness h;
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events",
                   Ev("s1", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"id":"S1"})"))
                .status,
            202);
  ASSERT_EQ(h.Post("/v1/events", "[{\"spec\":\"supportpipe/v1\"}]").status, 400);
  ASSERT_TRUE(h.WaitForLoaded());
  // The CLI finds the server where the config says it listens.
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:" << h.port()
                                 << "\"\n[storage]\ndata_dir = \"" << h.dir() << "/data\"\n";
  auto up = h.Cli({"status", "--format", "csv"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  for (const char* want : {"server,ready\n", "log,SQLite in ", "raw records,1\n",
                           "processor lag,0\n", "loader lag,0\n", "rules lag,0\n", "tickets,1\n",
                           "dead letters open,0\n", "newest loaded event received,"}) {
    EXPECT_NE(up.out.find(want), std::string::npos) << want << "\n" << up.out;
  }
  ASSERT_TRUE(h.Stop());
  auto down = h.Cli({"status", "--format", "csv"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("server,not answering on 127.0.0.1:"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("tickets,1\n"), std::string::npos);
}

TEST(IntegrationTest, ImportQueryReplayAndDeadLetterReplayFromTheCli) {
  Harness h;
  const std::string file = h.dir() + "/events.jsonl";
  std::ofstream(file)
      << Ev("i1", "ticket.created", "2026-11-01T10:00:00Z",
            R"("ticket":{"id":"I1","status":"new","subject":"Comma, \"quote\""})")
      << "\n"
      << Ev("i2", "ticket.status_changed", "2026-11-01T11:00:00Z",
            R"("ticket":{"id":"I1"},"changes":{"status":{"to":"open"}})")
      << "\n"
      << R"({"spec":"supportpipe/v1","id":"i3","type":"ticket.created","occurred_at":"2026-11-01T12:00:00Z"})"
      << "\n"
      << "\n"
      << Ev("i1", "ticket.created", "2026-11-01T10:00:00Z", R"("ticket":{"id":"I1"})") << "\n";
  auto imp = h.Cli({"import", file, "--source", "backfill", "--config", h.config_path(),
                    "--verdicts", h.dir() + "/v.jsonl"});
  EXPECT_EQ(imp.exit_code, 3) << imp.err;  // partly rejected
  EXPECT_NE(imp.err.find("events.jsonl:3: rejected: /ticket/id: is required for ticket.created"),
            std::string::npos)
      << imp.err;
  EXPECT_NE(imp.err.find("2 accepted, 1 duplicate, 1 rejected"), std::string::npos) << imp.err;
  std::ifstream v(h.dir() + "/v.jsonl");
  std::string verdicts((std::istreambuf_iterator<char>(v)), std::istreambuf_iterator<char>());
  EXPECT_NE(verdicts.find(R"("line":5,"status":"duplicate","id":"i1")"), std::string::npos)
      << verdicts;

  auto csv = h.Cli({"query", "SELECT ticket_id, status, subject FROM fact_ticket", "--config",
                    h.config_path(), "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "ticket_id,status,subject\nI1,open,\"Comma, \"\"quote\"\"\"\n");
  auto json = h.Cli({"query", "SELECT COUNT(*) AS n FROM fact_ticket_event", "--config",
                     h.config_path(), "--format", "json"});
  EXPECT_EQ(json.out, "[\n  {\"n\": 2}\n]\n");
  auto write = h.Cli({"query", "DELETE FROM fact_ticket", "--config", h.config_path()});
  EXPECT_EQ(write.exit_code, 2);

  // Replaying the source converges: same rows, nothing doubled.
  auto rep = h.Cli({"replay", "--source", "backfill", "--from", "2000-01-01", "--to", "2100-01-01",
                    "--config", h.config_path()});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.err.find("replayed 2 raw records"), std::string::npos) << rep.err;
  EXPECT_EQ(h.Cli({"query", "SELECT COUNT(*) FROM fact_ticket_event", "--config", h.config_path(),
                   "--format", "csv"})
                .out,
            "COUNT(*)\n2\n");

  // The server takes over the same data directory and serves what import loaded.
  ASSERT_TRUE(h.Start());
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE ticket_id = 'I1'"), "open");
  EXPECT_TRUE(h.Stop());

  auto bad_id = h.Cli({"dlq", "show", "999", "--config", h.config_path()});
  EXPECT_EQ(bad_id.exit_code, 4);
  auto nothing = h.Cli({"dlq", "replay", "--all", "--config", h.config_path()});
  EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
}

TEST(IntegrationTest, ShippedExampleConfigIsValid) {
  Harness h("", {{"SUPPORTPIPE_INGEST_TOKEN", "t"},
                 {"SUPPORTPIPE_ADMIN_TOKEN", "a"},
                 {"ACME_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                 {"CRM_TOKEN", "c"},
                 {"ZENDESK_WEBHOOK_SECRET", "z"},
                 {"ZENDESK_API_TOKEN", "zt"},
                 {"INTERCOM_CLIENT_SECRET", "i"},
                 {"CASES_TOKEN", "k"},
                 {"OPS_ALERTS_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}});
  auto r = h.Cli({"check-config", SP_EXAMPLE_CONFIG});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("5 sources"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("destination ops-alerts"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rule vip-urgent-escalation"), std::string::npos) << r.out;
}

TEST(IntegrationTest, CheckConfigNamesFileAndLine) {
  Harness h;
  const std::string bad = h.dir() + "/bad.toml";
  std::ofstream(bad) << "[server]\nlisten = \"127.0.0.1:8080\"\nlisten_port = 1\n";
  auto r = h.Cli({"check-config", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:3: server.listen_port: unknown key"), std::string::npos) << r.err;
  auto ok = h.Cli({"check-config", h.config_path()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto serve = h.Cli({"serve", "--config", bad});
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_EQ(h.Cli({"import"}).exit_code, 2);
  EXPECT_EQ(h.Cli({"query", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace supportpipe::testing_support
