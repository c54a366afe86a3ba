// Tokens, scopes, the audit trail and the privacy policy through the real binary: a token made
// by the CLI opens the admin API for its scopes only and /v1/events for its sources only;
// revoking it shuts it out; every access is on record, and `audit verify` finds an edited
// entry; personal data in free text never reaches the event log or the warehouse.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/sqlite_db.h"
#include "harness.h"
#include "intake/http_client.h"

namespace supportpipe::testing_support {
namespace {

std::string Customer(const std::string& id, const std::string& source) {
  return fmt::format(
      R"({{"spec":"supportpipe/v1","id":"{}","type":"customer.upserted","source":"{}",)"
      R"("occurred_at":"2026-11-01T10:00:00Z","customer":{{"id":"{}"}}}})",
      id, source, id);
}

std::string NowIso() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The token a `token create` printed (its only stdout line).
std::string Created(const CommandResult& r) {
  std::string t = r.out;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

TEST(SecurityIntegrationTest, TokensScopesAndTheAuditTrail) {
  Harness h;
  ASSERT_TRUE(h.Start());
  // Before any token exists the local operator is served without one.
  EXPECT_EQ(h.Get("/v1/admin/deliveries").status, 200);

  auto reader = h.Cli({"token", "create", "--name", "grafana", "--scope", "read"});
  ASSERT_EQ(reader.exit_code, 0) << reader.err;
  const std::string read = Created(reader);
  ASSERT_EQ(read.size(), 81u) << read;
  EXPECT_NE(reader.err.find("shown once"), std::string::npos);
  auto feeder = h.Cli({"token", "create", "--name", "crm feed", "--scope", "ingest:crm-eu",
                       "--expires-days", "30"});
  ASSERT_EQ(feeder.exit_code, 0) << feeder.err;
  const std::string ingest = Created(feeder);
  EXPECT_NE(h.Cli({"token", "create", "--name", "x", "--scope", "root"}).exit_code, 0);

  const std::map<std::string, std::string> as_reader = {{"Authorization", "Bearer " + read}};
  // Now tokens are required, loopback or not; each token opens what its scopes allow.
  EXPECT_EQ(h.Get("/v1/admin/deliveries").status, 401);
  HttpClient c(h.port());
  EXPECT_EQ(c.Request("GET", "/v1/admin/deliveries", "", as_reader).status, 200);
  EXPECT_EQ(c.Request("POST",
                      "/v1/admin/deliveries/replay?destination=x&from=2026-01-01&to="
                      "2026-02-01",
                      "", as_reader)
                .status,
            403);
  EXPECT_EQ(c.Request("GET", "/v1/admin/tokens", "", as_reader).status, 403);

  // ingest:crm-eu posts crm-eu events, and nothing else, from anywhere.
  const std::map<std::string, std::string> as_feeder = {{"Authorization", "Bearer " + ingest}};
  EXPECT_EQ(h.Post("/v1/events", Customer("c1", "crm-eu"), as_feeder).status, 202);
  auto other = h.Post("/v1/events", Customer("c2", "billing"), as_feeder);
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("needs the scope ingest:billing"), std::string::npos) << other.body;
  EXPECT_EQ(h.Post("/v1/events", Customer("c3", "crm-eu"), as_reader).status, 400);
  // Loopback without a token still posts (no ingest token configured).
  EXPECT_EQ(h.Post("/v1/events", Customer("c4", "api")).status, 202);
  std::string forged = ingest;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(h.Post("/v1/events", Customer("c5", "crm-eu"), {{"Authorization", "Bearer " + forged}})
                .status,
            401);

  // Listing shows ids and names, never secrets; revoking shuts the token out at once.
  auto list = h.Cli({"token", "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(",grafana,read,"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(read.substr(17)), std::string::npos);
  const std::string read_id = read.substr(4, 12);
  ASSERT_EQ(h.Cli({"token", "revoke", read_id}).exit_code, 0);
  EXPECT_EQ(c.Request("GET", "/v1/admin/deliveries", "", as_reader).status, 401);
  EXPECT_NE(h.Cli({"token", "revoke", read_id}).exit_code, 0);

  // Data access through the CLI is on record too, and nothing secret is.
  ASSERT_EQ(h.Cli({"query", "SELECT COUNT(*) FROM dim_customer"}).exit_code, 0);
  auto audit = h.Cli({"audit", "list", "--limit", "1000", "--format", "csv"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  for (const std::string& want :
       {std::string(",token.create,token ") + read_id + " (grafana),ok",
        std::string(",token:") + read_id + " (grafana),deliveries.list,", std::string(",denied"),
        std::string(",token.revoke,token ") + read_id + ",ok",
        std::string(",query,SELECT COUNT(*) FROM dim_customer,ok")}) {
    EXPECT_NE(audit.out.find(want), std::string::npos) << want << "\n" << audit.out;
  }
  EXPECT_EQ(audit.out.find(read.substr(17)), std::string::npos);
  EXPECT_EQ(audit.out.find(ingest.substr(17)), std::string::npos);
  auto ok = h.Cli({"audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("audit log OK"), std::string::npos);

  // Someone edits an entry to hide what they did: verify names it.
  ASSERT_TRUE(h.Stop());
  {
    auto db = std::move(SqliteDb::Open(h.dir() + "/data/security.db", {})).value();
    ASSERT_TRUE(
        db->Exec("UPDATE audit SET actor = 'cli:nobody' WHERE action = 'token.revoke'").ok());
  }
  auto broken = h.Cli({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("edited"), std::string::npos) << broken.err;
}

// Every byte of the files under `dir` whose names start with `prefix`.
std::string FileBytes(const std::string& dir, const std::string& prefix) {
  std::string all;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().filename().string().rfind(prefix, 0) != 0) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

TEST(SecurityIntegrationTest, PersonalDataNeverReachesTheEventLogNorTheWarehouse) {
  Harness h(R"(
[privacy]
redact = ["email", "phone", "card", "iban", "ssn", "ip"]
pseudonymize_customer_email = true
pseudonym_key_env = "SP_PSEUDONYM_KEY"
)",
            {{"SP_PSEUDONYM_KEY", "a-stable-secret-of-some-length"}});
  ASSERT_TRUE(h.Start());
  const std::string ticket =
      R"({"spec":"supportpipe/v1","id":"p1","type":"ticket.created","occurred_at":"2026-11-30T10:00:00Z",)"
      R"("ticket":{"id":"P1","subject":"Refund to DE89 3704 0044 0532 0130 00","requester":"c9"},)"
      R"("message":{"author_role":"customer","body":"I paid with 4111 1111 1111 1111, reach me )"
      R"(at +49 30 12345678 or ana.lopez@example.com. Order #123456789, $1,234.56."},)"
      R"("customer":{"id":"c9","email":"Ana.Lopez@example.com","name":"Ana"}})";
  ASSERT_EQ(h.Post("/v1/events", ticket).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT body FROM fact_message"),
            "I paid with [card], reach me at [phone] or [email]. Order #123456789, $1,234.56.");
  EXPECT_EQ(h.Scalar("SELECT subject FROM fact_ticket"), "Refund to [iban]");
  const std::string email = h.Scalar("SELECT email FROM dim_customer WHERE customer_id = 'c9'");
  EXPECT_EQ(email.rfind("pseu_", 0), 0u) << email;
  EXPECT_NE(h.Get("/metrics").body.find(R"(supportpipe_redactions_total{kind="card"} 1)"),
            std::string::npos);
  ASSERT_TRUE(h.Stop());
  // Byte for byte: neither the event log nor the warehouse holds any of it. (The raw log keeps
  // the exact request, for replay and lineage.)
  for (const std::string& prefix : {std::string("events.db"), std::string("warehouse.db")}) {
    const std::string bytes = FileBytes(h.dir() + "/data", prefix);
    ASSERT_FALSE(bytes.empty()) << prefix;
    for (const char* secret : {"ana.lopez@example.com", "Ana.Lopez@example.com", "4111 1111",
                               "12345678 or", "DE89 3704"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << prefix << " holds " << secret;
    }
  }
}

TEST(SecurityIntegrationTest, LineageShowsWhereEveryRowOfATicketCameFrom) {
  Harness h(R"(
[[sla_policy]]
name = "std"
[sla_policy.targets]
first_reply_time = { normal = 60 }
)");
  ASSERT_TRUE(h.Start());
  const std::string batch =
      R"({"spec":"supportpipe/v1","id":"e1","type":"ticket.created","occurred_at":"2026-12-01T09:00:00Z",)"
      R"("ticket":{"id":"L1","status":"new","priority":"normal"},"message":{"id":"m1","author_role":"customer","body":"hi"}})"
      "\n"
      R"({"spec":"supportpipe/v1","id":"e2","type":"message.created","occurred_at":"2026-12-01T09:10:00Z",)"
      R"("ticket":{"id":"L1"},"message":{"id":"m2","author_role":"agent","body":"hello"}})"
      "\n"
      R"({"spec":"supportpipe/v1","id":"e3","type":"ticket.status_changed","occurred_at":"2026-12-01T09:20:00Z",)"
      R"("ticket":{"id":"L1"},"changes":{"status":{"from":"new","to":"solved"}}})";
  ASSERT_EQ(h.Post("/v1/events", batch, {{"content-type", "application/x-ndjson"}}).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  for (int i = 0; i < 50 && h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE type = "
                                     "'sla.fulfilled'") != "1";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto r = h.Cli({"lineage", "--ticket", "L1", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* want :
       {"api fact_ticket_event,e1,ticket.created,2026-12-01T09:00:00.000000Z,1,1,",
        ",e1,event (canonical)\n", "api fact_message m2,e2,message.created,",
        "api fact_status_change 1 new->solved,e3,ticket.status_changed,",
        "api fact_ticket (folded from 3 events; last:),e3,",
        "api fact_sla first_reply_time #1 fulfilled,L1:sla:first_reply_time:1:fulfilled,"
        "sla.fulfilled,2026-12-01T09:10:00.000000Z,",
        ",derived: SLA clock\n"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  auto none = h.Cli({"lineage", "--ticket", "nope"});
  EXPECT_EQ(none.exit_code, 4) << none.err;
  EXPECT_NE(h.Cli({"audit", "list", "--format", "csv"}).out.find(",lineage,ticket L1,ok"),
            std::string::npos);
}

TEST(SecurityIntegrationTest, TlsOnTheListenerWithASelfSignedCertificate) {
  Harness h;
  const std::string cert = h.dir() + "/cert.pem", key = h.dir() + "/key.pem";
  ASSERT_EQ(
      std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                   " -days 2 -subj /CN=localhost -addext "
                   "subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1")
                      .c_str()),
      0);
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\ntls_cert_file = \"" << cert
                                 << "\"\ntls_key_file = \"" << key << "\"\n[storage]\ndata_dir = \""
                                 << h.dir() << "/data\"\n";
  ASSERT_TRUE(h.Start());
  const std::string base = "https://127.0.0.1:" + std::to_string(h.port());
  // The handshake succeeds for a client that trusts the certificate, and everything works.
  auto health = intake::Fetch({.url = base + "/healthz", .timeout_ms = 5000, .ca_file = cert});
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  auto posted = intake::Fetch({.method = "POST",
                               .url = base + "/v1/events",
                               .body = Customer("t1", "api"),
                               .timeout_ms = 5000,
                               .ca_file = cert});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ(posted->status, 202);
  // A client that does not trust it stops at the handshake; plain HTTP gets no answer.
  auto untrusted = intake::Fetch({.url = base + "/healthz", .timeout_ms = 5000});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.status().message().find("TLS handshake"), std::string::npos);
  EXPECT_NE(h.Get("/healthz").status, 200);
  // TLS 1.1 and older are refused.
  const std::string s_client =
      "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(h.port()) +
      " -tls1_1 -CAfile " + cert + " >/dev/null 2>&1";
  EXPECT_NE(std::system(s_client.c_str()), 0);
  const std::string tls12 =
      "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(h.port()) +
      " -tls1_2 -verify_return_error -CAfile " + cert + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(tls12.c_str()), 0);
  ASSERT_TRUE(h.Stop());

  // A key that does not match, and plain HTTP off loopback, are refused at start.
  const std::string other = h.dir() + "/other.pem";
  ASSERT_EQ(std::system(("openssl genrsa -out " + other + " 2048 >/dev/null 2>&1").c_str()), 0);
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\ntls_cert_file = \"" << cert
                                 << "\"\ntls_key_file = \"" << other
                                 << "\"\n[storage]\ndata_dir = \"" << h.dir() << "/data\"\n";
  auto mismatch = h.Cli({"serve"});
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.err.find("server.tls_key_file: cannot load the private key, or it does not "
                              "match the certificate"),
            std::string::npos)
      << mismatch.err;
  std::ofstream(h.dir() + "/open.toml") << "[server]\nlisten = \"0.0.0.0:8080\"\n";
  auto open = h.Cli({"check-config", h.dir() + "/open.toml"});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.err.find("server.listen: plain HTTP off loopback"), std::string::npos) << open.err;
  std::ofstream(h.dir() + "/proxied.toml")
      << "[server]\nlisten = \"0.0.0.0:8080\"\nallow_plain_http = true\n";
  EXPECT_EQ(h.Cli({"check-config", h.dir() + "/proxied.toml"}).exit_code, 0);
}

TEST(SecurityIntegrationTest, RawPayloadsAreEncryptedAtRestAndKeysRotate) {
  Harness h;
  const std::string k1 = h.dir() + "/k1.key", k2 = h.dir() + "/k2.key";
  std::ofstream(k1) << std::string(64, 'a') << "\n";
  std::ofstream(k2) << std::string(64, 'b') << "\n";
  auto write_config = [&](const std::string& privacy) {
    std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \""
                                   << h.dir() << "/data\"\n[privacy]\n"
                                   << privacy;
  };
  write_config("encryption_key_file = \"" + k1 + "\"\n");
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events", Customer("enc-1", "crm")).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  ASSERT_TRUE(h.Stop());
  // Rotate: k2 seals new records, k1 still opens the old ones.
  write_config("encryption_key_file = \"" + k2 + "\"\nprevious_key_files = [\"" + k1 + "\"]\n");
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events", Customer("enc-2", "crm")).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer"), "2");
  ASSERT_TRUE(h.Stop());
  // The raw log holds neither record in the clear; a replay reads both.
  const std::string raw = FileBytes(h.dir() + "/data", "raw.db");
  EXPECT_EQ(raw.find("\"enc-1\""), std::string::npos);
  EXPECT_EQ(raw.find("\"enc-2\""), std::string::npos);
  auto replay = h.Cli({"replay", "--source", "crm", "--from", "2000-01-01", "--to", "2100-01-01"});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  // Without the old key, its record says which key it needs; a bad key file is named.
  write_config("encryption_key_file = \"" + k2 + "\"\n");
  auto without = h.Cli({"replay", "--source", "crm", "--from", "2000-01-01", "--to", "2100-01-01"});
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("previous_key_files"), std::string::npos) << without.err;
  write_config("encryption_key_file = \"" + h.dir() + "/missing.key\"\n");
  auto bad = h.Cli({"check-config", h.config_path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("missing.key"), std::string::npos) << bad.err;
}

TEST(SecurityIntegrationTest, RetentionPurgesOldMessageTextAndRecordsIt) {
  Harness h("[retention]\nmessages_days = 30\nraw_days = 365\ndlq_days = 30\n");
  ASSERT_TRUE(h.Start());
  const std::string batch =
      R"({"spec":"supportpipe/v1","id":"old","type":"ticket.created","occurred_at":"2025-01-10T09:00:00Z",)"
      R"("ticket":{"id":"R1"},"message":{"id":"m-old","author_role":"customer","body":"my old complaint"}})"
      "\n"
      R"({"spec":"supportpipe/v1","id":"new","type":"message.created","occurred_at":")" +
      NowIso() +
      R"(","ticket":{"id":"R1"},"message":{"id":"m-new","author_role":"agent","body":"fresh reply"}})";
  ASSERT_EQ(h.Post("/v1/events", batch, {{"content-type", "application/x-ndjson"}}).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  auto run = h.Cli({"retention", "run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("purged 0 raw records, 1 message texts in the event log, 1 in the "
                         "warehouse, 0 dead letters"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(h.Scalar("SELECT IFNULL(body, '-') FROM fact_message WHERE message_id = 'm-old'"), "-");
  EXPECT_EQ(h.Scalar("SELECT body FROM fact_message WHERE message_id = 'm-new'"), "fresh reply");
  auto audit = h.Cli({"audit", "list", "--format", "csv"});
  EXPECT_NE(audit.out.find(",retention.purge,log_messages older than 30 days: 1,ok"),
            std::string::npos)
      << audit.out;
  ASSERT_TRUE(h.Stop());
  const std::string events = FileBytes(h.dir() + "/data", "events.db");
  EXPECT_EQ(events.find("my old complaint"), std::string::npos);
  EXPECT_NE(events.find("fresh reply"), std::string::npos);
  EXPECT_EQ(FileBytes(h.dir() + "/data", "warehouse.db").find("my old complaint"),
            std::string::npos);
}

TEST(SecurityIntegrationTest, RateLimitsPerClientAndPerSourceAndUrlLimits) {
  Harness h;
  std::ofstream(h.config_path())
      << "[server]\nlisten = \"127.0.0.1:0\"\nclient_rate_limit_per_s = 3\nmax_url_bytes = 512\n"
      << "[storage]\ndata_dir = \"" << h.dir() << "/data\"\n"
      << R"([[source]]
name = "cases"
vendor = "generic"
auth = "none"
rate_limit_per_s = 1
[source.mapping]
"ticket.id" = "/case"
occurred_at = "/at"
[source.defaults]
type = "ticket.updated"
)";
  ASSERT_TRUE(h.Start());
  // The source allows one webhook a second: the second at once is refused, with Retry-After.
  const std::string hook = R"({"case":"C1","at":"2026-12-01T10:00:00Z"})";
  EXPECT_EQ(h.Post("/v1/webhooks/cases", hook, {{"Idempotency-Key", "k1"}}).status, 202);
  auto second = h.Post("/v1/webhooks/cases", hook, {{"Idempotency-Key", "k2"}});
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(second.headers["retry-after"], "1");
  EXPECT_NE(second.body.find("rate_limit_per_s"), std::string::npos);
  // The client allows three requests a second in all (two are spent): the fourth is refused.
  EXPECT_EQ(h.Post("/v1/events", Customer("rl-1", "api")).status, 202);
  auto over = h.Post("/v1/events", Customer("rl-2", "api"));
  EXPECT_EQ(over.status, 429);
  EXPECT_NE(over.body.find("client_rate_limit_per_s"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(h.Post("/v1/events", Customer("rl-3", "api")).status, 202);  // refilled
  const std::string metrics = h.Get("/metrics").body;
  EXPECT_NE(metrics.find(R"(supportpipe_rate_limited_total{limit="source",source="cases"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(supportpipe_rate_limited_total{limit="client",source=""} 1)"),
            std::string::npos);
  // A request target longer than max_url_bytes is refused before any handler.
  EXPECT_EQ(h.Get("/v1/events?" + std::string(600, 'a')).status, 414);
}

TEST(SecurityIntegrationTest, ErasureLeavesNoByteOfThePersonAnywhere) {
  Harness h(R"(
[[rule]]
name = "everything-escalates"
when = { type = ["ticket.created"] }
then = { emit = "ticket.escalated" }
[[destination]]
name = "ops"
url = "http://127.0.0.1:9/nowhere"
format = "slack"
events = ["ticket.escalated"]
)");
  ASSERT_TRUE(h.Start());
  const std::string now = NowIso();
  auto ev = [&](const std::string& id, const std::string& type, const std::string& rest) {
    return R"({"spec":"supportpipe/v1","id":")" + id + R"(","type":")" + type +
           R"(","occurred_at":")" + now + R"(",)" + rest + "}";
  };
  const std::string batch =
      ev("p-ana", "customer.upserted",
         R"("customer":{"id":"c-ana","email":"ana.lopez@example.com","name":"Ana Lopez","phone":"+4930111222333"})") +
      "\n" +
      ev("t-ana", "ticket.created",
         R"("ticket":{"id":"T-ana","requester":"c-ana","subject":"Ana Lopez cannot log in"},)"
         R"("message":{"author":"c-ana","author_role":"customer","body":"I am Ana Lopez, call +4930111222333"})") +
      "\n" +
      ev("m-ana", "message.created",
         R"("ticket":{"id":"T-ana"},"message":{"author":"a1","author_role":"agent","body":"Hi Ana Lopez, we called you"})") +
      "\n" +
      ev("p-bob", "customer.upserted",
         R"("customer":{"id":"c-bob","email":"bob.stone@example.com","name":"Bob Stone"})") +
      "\n" +
      ev("t-bob", "ticket.created",
         R"("ticket":{"id":"T-bob","requester":"c-bob","subject":"Bob Stone invoice"},)"
         R"("message":{"author":"c-bob","author_role":"customer","body":"Bob here"})");
  {
    auto posted = h.Post("/v1/events", batch, {{"content-type", "application/x-ndjson"}});
    ASSERT_EQ(posted.status, 202) << posted.body;
  }
  ASSERT_TRUE(h.WaitForLoaded());
  for (int i = 0; i < 50 && h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE type = "
                                     "'ticket.escalated'") != "2";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // An analyst looked her up: that query is in the audit log, without her address.
  ASSERT_EQ(h.Cli({"query", "SELECT * FROM dim_customer WHERE email = 'ana.lopez@example.com'"})
                .exit_code,
            0);

  auto erase = h.Cli({"erase", "--email", "Ana.Lopez@example.com"});
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  EXPECT_NE(erase.out.find(R"("erasure_id":"er_)"), std::string::npos) << erase.out;
  EXPECT_NE(erase.out.find(R"("customers":1,"tickets":1)"), std::string::npos) << erase.out;
  EXPECT_NE(erase.out.find(R"("profiles_deleted":1)"), std::string::npos) << erase.out;
  // Metric rows stay, without her; Bob is untouched.
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket"), "2");
  EXPECT_EQ(h.Scalar("SELECT substr(requester_id, 1, 10) FROM fact_ticket WHERE ticket_id = "
                     "'T-ana'"),
            "erased:er_");
  EXPECT_EQ(h.Scalar("SELECT subject FROM fact_ticket WHERE ticket_id = 'T-bob'"),
            "Bob Stone invoice");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_message WHERE ticket_id = 'T-ana'"), "2");
  // A replay of everything does not bring her back.
  ASSERT_EQ(
      h.Cli({"replay", "--source", "api", "--from", "2000-01-01", "--to", "2100-01-01"}).exit_code,
      0);
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer"), "1");
  auto again = h.Cli({"erase", "--email", "ana.lopez@example.com"});
  EXPECT_EQ(again.exit_code, 4);  // nothing left to find
  // The admin API takes the same requests (scope erase).
  EXPECT_EQ(h.Post("/v1/admin/erasures?email=nobody%40example.com", "").status, 404);
  EXPECT_EQ(h.Post("/v1/admin/erasures", "").status, 400);
  EXPECT_NE(h.Cli({"audit", "list", "--format", "csv"}).out.find(",erase,\"erasure er_"),
            std::string::npos);
  EXPECT_EQ(h.Cli({"audit", "verify"}).exit_code, 0);
  ASSERT_TRUE(h.Stop());
  // No byte of her email, name or phone in any file under the data directory.
  const std::string all = FileBytes(h.dir() + "/data", "");
  ASSERT_GT(all.size(), 10000u);
  for (const char* secret : {"ana.lopez@example.com", "Ana.Lopez@example.com", "Ana Lopez",
                             "+4930111222333", "4930111222333"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << "still holds " << secret;
  }
  EXPECT_NE(all.find("Bob Stone"), std::string::npos);
}

}  // namespace
}  // namespace supportpipe::testing_support
