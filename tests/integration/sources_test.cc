// Every vendor's webhooks through the real server: verification outcomes, the warehouse
// rows they produce, drift, dead letters fixed by a mapping change, and a backfill that
// agrees with the webhooks.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/time.h"
#include "harness.h"
#include "sources/hubspot/hubspot.h"
#include "sources/slack/slack.h"
#include "sources/zendesk/zendesk.h"

namespace supportpipe::testing_support {
namespace {

using Headers = std::map<std::string, std::string>;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SP_FIXTURES) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t NowS() { return SystemClock().Now() / 1000000; }

const char* kConfig = R"(
[[source]]
name = "zd"
vendor = "zendesk"
secret_env = "ZD_SECRET"
secret2_env = "ZD_SECRET_NEXT"

[[source]]
name = "ic"
vendor = "intercom"
secret_env = "IC_SECRET"

[[source]]
name = "hs"
vendor = "hubspot"
secret_env = "HUBSPOT_SECRET"
public_url = "https://hooks.example.com/v1/webhooks/hs"

[[source]]
name = "front"
vendor = "front"
secret_env = "FRONT_SECRET"

[[source]]
name = "scout"
vendor = "helpscout"
secret_env = "SCOUT_SECRET"

[[source]]
name = "slack"
vendor = "slack"
secret_env = "SLACK_SECRET"
agent_ids = ["UAGENT1"]

[[source]]
name = "fd"
vendor = "freshdesk"
basic_auth_env = "FD_BASIC"

[[source]]
name = "gorgias"
vendor = "gorgias"
token_env = "GORGIAS_TOKEN"
auth_header = "X-Gorgias-Token"

[[source]]
name = "gh"
vendor = "github"
secret_env = "GH_SECRET"
)";

const char* kGeneric = R"(
[[source]]
name = "cases"
vendor = "generic"
token_env = "CASES_TOKEN"
[source.mapping]
id = "/uuid"
type = "/kind"
occurred_at = "/case/opened"
"ticket.id" = "/case/number"
"ticket.status" = "/case/state"
[source.values.type]
case_updated = "ticket.updated"
)";

Headers Env() {
  return {{"ZD_SECRET", "zd-old"},          {"ZD_SECRET_NEXT", "zd-new"},
          {"IC_SECRET", "ic-secret"},       {"HUBSPOT_SECRET", "hs-secret"},
          {"FRONT_SECRET", "front-key"},    {"SCOUT_SECRET", "scout-secret"},
          {"SLACK_SECRET", "slack-secret"}, {"FD_BASIC", "fd:p4ss"},
          {"GORGIAS_TOKEN", "g-token"},     {"GH_SECRET", "gh-secret"},
          {"CASES_TOKEN", "cases-token"}};
}

Headers Zendesk(const std::string& body, const std::string& secret = "zd-new", int64_t skew_s = 0) {
  const std::string ts = FormatRfc3339((NowS() + skew_s) * 1000000);
  return {{"X-Zendesk-Webhook-Signature", sources::ZendeskSign(secret, ts, body)},
          {"X-Zendesk-Webhook-Signature-Timestamp", ts}};
}

Headers Intercom(const std::string& body, const std::string& secret = "ic-secret") {
  return {{"X-Hub-Signature", "sha1=" + HexEncode(HmacSha1(secret, body))}};
}

Headers HubSpot(const std::string& body, int64_t skew_s = 0,
                const std::string& secret = "hs-secret") {
  const std::string ts = std::to_string((NowS() + skew_s) * 1000);
  return {{"X-HubSpot-Signature-v3",
           sources::HubSpotSignV3(secret, "POST", "https://hooks.example.com/v1/webhooks/hs", body,
                                  ts)},
          {"X-HubSpot-Request-Timestamp", ts}};
}

Headers Front(const std::string& body, int64_t skew_s = 0,
              const std::string& secret = "front-key") {
  const std::string ts = std::to_string((NowS() + skew_s) * 1000);
  return {{"X-Front-Signature", Base64Encode(HmacSha256(secret, ts + ":" + body))},
          {"X-Front-Request-Timestamp", ts}};
}

Headers Scout(const std::string& body, const std::string& event,
              const std::string& secret = "scout-secret") {
  return {{"X-HelpScout-Signature", Base64Encode(HmacSha1(secret, body))},
          {"X-HelpScout-Event", event}};
}

Headers Slack(const std::string& body, int64_t skew_s = 0,
              const std::string& secret = "slack-secret") {
  const std::string ts = std::to_string(NowS() + skew_s);
  return {{"X-Slack-Signature", sources::SlackSign(secret, ts, body)},
          {"X-Slack-Request-Timestamp", ts}};
}

Headers GitHub(const std::string& body, const std::string& secret = "gh-secret") {
  return {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256(secret, body))}};
}

// One vendor's request maker: `good` false signs with the wrong secret (or sends the wrong
// credential); `skew_s` moves the signed timestamp.
struct VendorCase {
  std::string source;
  std::string fixture;
  std::function<Headers(const std::string& body, bool good, int64_t skew_s)> sign;
  bool signs_body = true;    // false: a credential, so a changed body still passes
  bool timestamped = false;  // has a replay window
};

std::vector<VendorCase> Vendors() {
  const char* kWrong = "not-the-secret";
  return {
      {"zd", "zendesk_ticket_created.json",
       [=](const std::string& b, bool good, int64_t skew) {
         return Zendesk(b, good ? "zd-new" : kWrong, skew);
       },
       true, true},
      {"ic", "intercom_admin_replied.json",
       [=](const std::string& b, bool good, int64_t) {
         return Intercom(b, good ? "ic-secret" : kWrong);
       }},
      {"hs", "hubspot_batch.json",
       [=](const std::string& b, bool good, int64_t skew) {
         return HubSpot(b, skew, good ? "hs-secret" : kWrong);
       },
       true, true},
      {"front", "front_inbound.json",
       [=](const std::string& b, bool good, int64_t skew) {
         return Front(b, skew, good ? "front-key" : kWrong);
       },
       true, true},
      {"scout", "helpscout_convo_created.json",
       [=](const std::string& b, bool good, int64_t) {
         return Scout(b, "convo.created", good ? "scout-secret" : kWrong);
       }},
      {"slack", "slack_message.json",
       [=](const std::string& b, bool good, int64_t skew) {
         return Slack(b, skew, good ? "slack-secret" : kWrong);
       },
       true, true},
      {"gh", "generic_custom.json",  // any bytes: the signature is what is tested here
       [=](const std::string& b, bool good, int64_t) {
         return GitHub(b, good ? "gh-secret" : kWrong);
       }},
      {"fd", "freshdesk_created.json",
       [](const std::string&, bool good, int64_t) {
         return Headers{{"Authorization", "Basic " + Base64Encode(good ? "fd:p4ss" : "fd:nope")}};
       },
       false},
      {"gorgias", "gorgias_updated.json",
       [](const std::string&, bool good, int64_t) {
         return Headers{{"X-Gorgias-Token", good ? "g-token" : "g-nope"}};
       },
       false},
  };
}

TEST(SourcesIntegrationTest, EveryVendorVerifiesAndLandsInTheWarehouse) {
  Harness h(kConfig, Env());
  ASSERT_TRUE(h.Start());
  auto post = [&](const std::string& source, const std::string& body, const Headers& headers) {
    auto r = h.Post("/v1/webhooks/" + source, body, headers);
    EXPECT_EQ(r.status, 202) << source << ": " << r.body;
    return r;
  };
  // Zendesk, out of order: the status change and the comment before the creation.
  const std::string zd_status = Fixture("zendesk_status_changed.json");
  const std::string zd_created = Fixture("zendesk_ticket_created.json");
  post("zd", zd_status, Zendesk(zd_status));
  post("zd", Fixture("zendesk_comment_added.json"), Zendesk(Fixture("zendesk_comment_added.json")));
  post("zd", zd_created, Zendesk(zd_created, "zd-old"));  // the secret being rotated out
  // Intercom conversation, newest first: closed, replied, created.
  for (const char* f :
       {"intercom_closed.json", "intercom_admin_replied.json", "intercom_user_created.json"}) {
    post("ic", Fixture(f), Intercom(Fixture(f)));
  }
  const std::string batch = Fixture("hubspot_batch.json");
  post("hs", batch, HubSpot(batch));
  for (const char* f : {"front_archive.json", "front_inbound.json"}) {  // out of order
    post("front", Fixture(f), Front(Fixture(f)));
  }
  post("scout", Fixture("helpscout_convo_created.json"),
       Scout(Fixture("helpscout_convo_created.json"), "convo.created"));
  post("scout", Fixture("helpscout_rating.json"),
       Scout(Fixture("helpscout_rating.json"), "satisfaction.ratings"));
  for (const char* f : {"slack_reply.json", "slack_message.json"}) {  // the reply first
    post("slack", Fixture(f), Slack(Fixture(f)));
  }
  post("fd", Fixture("freshdesk_created.json"),
       {{"Authorization", "Basic " + Base64Encode("fd:p4ss")}});
  post("gorgias", Fixture("gorgias_updated.json"), {{"X-Gorgias-Token", "g-token"}});
  const std::string gh = R"({"spec":"supportpipe/v1","id":"gh-1","type":"ticket.created",)"
                         R"("occurred_at":"2026-11-30T09:00:00Z","ticket":{"id":"G1"}})";
  post("gh", gh,
       {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("gh-secret", gh))},
        {"X-GitHub-Delivery", "d-1"}});
  ASSERT_TRUE(h.WaitForLoaded());

  auto status = [&](const std::string& source, const std::string& ticket) {
    return h.Scalar("SELECT status FROM fact_ticket WHERE source = '" + source +
                    "' AND ticket_id = '" + ticket + "'");
  };
  EXPECT_EQ(status("zd", "5158"), "solved");
  EXPECT_EQ(h.Scalar("SELECT created_at FROM fact_ticket WHERE ticket_id = '5158'"),
            "2026-11-30T09:15:02.000000Z");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_message WHERE source = 'zd'"), "1");
  EXPECT_EQ(status("ic", "1911149811"), "solved");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_message WHERE source = 'ic'"), "2");
  EXPECT_EQ(status("hs", "7001"), "open");
  EXPECT_EQ(h.Scalar("SELECT priority FROM fact_ticket WHERE ticket_id = '7001'"), "normal");
  EXPECT_EQ(status("front", "cnv_55c8c149"), "solved");
  EXPECT_EQ(status("scout", "4101"), "open");
  EXPECT_EQ(h.Scalar("SELECT type FROM fact_ticket_event WHERE event_id = 'rating:88'"),
            "csat.submitted");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_message WHERE source = 'slack'"), "2");
  EXPECT_EQ(status("fd", "312"), "open");
  EXPECT_EQ(status("gorgias", "88001"), "solved");
  EXPECT_EQ(status("gh", "G1"), "new");
  // HubSpot's unknown pipeline stage is a dead letter naming the element and field; its
  // neighbours landed.
  auto dlq = h.Cli({"dlq", "list", "--format", "csv"});
  EXPECT_NE(dlq.out.find("/5/propertyValue"), std::string::npos) << dlq.out;
  // Unknown fields are kept and listed as drift.
  auto drift = h.Cli({"drift", "--format", "csv"});
  EXPECT_NE(drift.out.find("zd,detail.sla_tier,1"), std::string::npos) << drift.out;
  EXPECT_NE(drift.out.find("ic,data.item.new_widget_flag,"), std::string::npos) << drift.out;
  EXPECT_NE(
      h.Get("/metrics")
          .body.find(
              R"(supportpipe_schema_drift_fields_total{source="zd",field="detail.sla_tier"} 1)"),
      std::string::npos);

  // A Zendesk backfill of the same facts adds no rows: the ids agree.
  const std::string before = h.Scalar("SELECT COUNT(*) FROM fact_ticket_event");
  std::ofstream(h.dir() + "/audits.json") << R"({"ticket_events":[{"id":9002,"ticket_id":5158,
    "created_at":"2026-11-30T10:05:00Z","updater_id":901,"child_events":[
    {"id":9201,"event_type":"Change","field_name":"status","value":"solved","previous_value":"open"}]},
    {"id":9003,"ticket_id":5158,"created_at":"2026-11-30T09:42:10Z","updater_id":901,"child_events":[
    {"id":77001,"event_type":"Comment","author_id":901,"body":"Hej","public":true}]}]})";
  auto imp = h.Cli({"import", "-s", "zd", "--format", "zendesk-ticket-events", "audits.json"});
  EXPECT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event"), before);
}

TEST(SourcesIntegrationTest, EveryVendorRefusesBadRequestsAndStoresRetriesOnce) {
  Harness h(kConfig, Env());
  ASSERT_TRUE(h.Start());
  std::map<std::string, int> refusals;
  for (const VendorCase& v : Vendors()) {
    SCOPED_TRACE(v.source);
    const std::string target = "/v1/webhooks/" + v.source;
    const std::string body = Fixture(v.fixture);
    EXPECT_EQ(h.Post(target, body, v.sign(body, true, 0)).status, 202);
    EXPECT_EQ(h.Post(target, body, v.sign(body, true, 0)).status, 200);   // a retry
    EXPECT_EQ(h.Post(target, body, v.sign(body, false, 0)).status, 401);  // wrong secret
    EXPECT_EQ(h.Post(target, body, {}).status, 401);                      // no header at all
    refusals[v.source] += 2;
    if (v.signs_body) {
      std::string changed = body;
      changed[changed.size() / 2] ^= 1;  // one bit of one byte
      EXPECT_EQ(h.Post(target, changed, v.sign(body, true, 0)).status, 401);
      ++refusals[v.source];
    }
    if (v.timestamped) {
      EXPECT_EQ(h.Post(target, body, v.sign(body, true, -400)).status, 401);  // stale
      EXPECT_EQ(h.Post(target, body, v.sign(body, true, 400)).status, 401);   // future
      refusals[v.source] += 2;
    }
  }
  // Every refusal is counted by source and reason; no secret appears.
  const std::string metrics = h.Get("/metrics").body;
  for (const auto& [source, n] : refusals) {
    int counted = 0;
    const std::string prefix = "supportpipe_auth_failures_total{source=\"" + source + "\"";
    for (size_t at = metrics.find(prefix); at != std::string::npos;
         at = metrics.find(prefix, at + 1)) {
      counted += std::stoi(metrics.substr(metrics.find("} ", at) + 2));
    }
    EXPECT_EQ(counted, n) << source;
  }
  for (const char* line :
       {R"(supportpipe_auth_failures_total{source="zd",reason="timestamp_too_old"} 1)",
        R"(supportpipe_auth_failures_total{source="zd",reason="timestamp_in_future"} 1)",
        R"(supportpipe_auth_failures_total{source="slack",reason="missing_header"} 1)",
        R"(supportpipe_auth_failures_total{source="fd",reason="credential_mismatch"} 1)"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line;
  }
  for (const char* secret : {"zd-new", "ic-secret", "hs-secret", "p4ss", "g-token"}) {
    EXPECT_EQ(metrics.find(secret), std::string::npos) << secret;
  }
  // A HubSpot request for a URL it did not sign (an extra query) is refused.
  const std::string batch = Fixture("hubspot_batch.json");
  EXPECT_EQ(h.Post("/v1/webhooks/hs?portal=1", batch, HubSpot(batch)).status, 401);

  // Handshakes are answered after their signature is checked, and store nothing.
  const std::string verify = R"({"token":"t","challenge":"abc123","type":"url_verification"})";
  auto ch = h.Post("/v1/webhooks/slack", verify, Slack(verify));
  EXPECT_EQ(ch.status, 200);
  EXPECT_EQ(ch.body, R"({"challenge":"abc123"})");
  EXPECT_EQ(h.Post("/v1/webhooks/slack", verify, Slack(verify, 0, "wrong")).status, 401);
  const std::string fr = Fixture("front_archive.json");
  auto fch = Front(fr);
  fch["X-Front-Challenge"] = "front-ch";
  auto fr_ok = h.Post("/v1/webhooks/front", fr, fch);
  EXPECT_EQ(fr_ok.status, 200);
  EXPECT_EQ(fr_ok.body, R"({"challenge":"front-ch"})");

  // Each accepted body was stored once: one raw record per vendor.
  ASSERT_TRUE(h.WaitForLoaded());
  auto raw = h.Cli({"replay", "--source", "zd", "--from", "2000-01-01", "--to", "2100-01-01"});
  EXPECT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.err.find("1 raw record"), std::string::npos) << raw.err;
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE source = 'zd'"), "1");
}

TEST(SourcesIntegrationTest, AnUnmappablePayloadIsFixedByAMappingChangeAndDlqReplay) {
  Harness h(kGeneric, Env());
  ASSERT_TRUE(h.Start());
  const std::string body = Fixture("generic_custom.json");  // state "Waiting on Customer"
  auto r = h.Post("/v1/webhooks/cases", body, {{"Authorization", "Bearer cases-token"}});
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(h.WaitForLoaded());
  auto listed = h.Cli({"dlq", "list", "--format", "csv"});
  EXPECT_NE(listed.out.find("/case/state"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Waiting on Customer"), std::string::npos) << listed.out;
  ASSERT_TRUE(h.Stop());
  // The fix: map the vendor's word.
  std::ofstream(h.config_path(), std::ios::app) << "[source.values.\"ticket.status\"]\n"
                                                << "\"waiting on customer\" = \"pending\"\n";
  ASSERT_TRUE(h.Start());
  auto replay = h.Cli({"dlq", "replay", "--all"});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE ticket_id = 'CS-1001'"), "pending");
}

TEST(SourcesIntegrationTest, ExportsImportRowByRow) {
  Harness h(std::string(kConfig) + R"(
[[source]]
name = "cases-history"
vendor = "generic"
auth = "none"
[source.mapping]
"ticket.id" = "/case"
"ticket.status" = "/state"
occurred_at = "/opened"
"message.body" = "/body"
"message.author_role" = "/role"
[source.defaults]
type = "message.created"
[source.values."ticket.status"]
closed = "solved"
)",
            Env());
  const std::string dir = std::string(SP_FIXTURES) + "/";
  auto run = [&](const std::vector<std::string>& args) {
    auto r = h.Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  run({"import", "-s", "zd", "--format", "zendesk-ticket-events",
       dir + "zendesk_ticket_events.json"});
  run({"import", "-s", "zd", "--format", "zendesk-tickets", dir + "zendesk_tickets_cursor.json",
       dir + "zendesk_tickets_time.json"});
  run({"import", "-s", "zd", "--format", "zendesk-csv", dir + "zendesk_tickets.csv"});
  run({"import", "-s", "zd", "--format", "zendesk-ticket-metric-events",
       dir + "zendesk_ticket_metric_events.json"});
  run({"import", "-s", "ic", "--format", "intercom", dir + "intercom_conversations.json"});
  run({"import", "-s", "cases-history", "--format", "csv", dir + "generic.csv"});

  EXPECT_EQ(
      h.Column("SELECT event_id || ' ' || type FROM fact_ticket_event "
               "WHERE source = 'zd' AND ticket_id = '5158' ORDER BY occurred_at, event_id"),
      (std::vector<std::string>{
          "5158:created ticket.created", "comment:77000 message.created",
          "metric:926232157301 ticket.updated", "5158:status:open@1796031730 ticket.status_changed",
          "comment:77001 message.created", "metric:926232157302 ticket.updated",
          "5158:snapshot@1796033100 ticket.updated",
          "5158:status:solved@1796033100 ticket.status_changed"}));
  EXPECT_EQ(h.Column("SELECT ticket_id || ' ' || status || ' ' || created_at FROM fact_ticket "
                     "WHERE source = 'zd' ORDER BY ticket_id"),
            (std::vector<std::string>{"5158 solved 2026-11-30T09:15:02.000000Z",
                                      "5160 new 2026-11-30T11:00:00.000000Z",
                                      "5161 open 2026-11-30T12:00:00.000000Z"}));
  EXPECT_EQ(h.Column("SELECT author_role FROM fact_message WHERE source = 'zd' ORDER BY "
                     "message_id"),
            (std::vector<std::string>{"customer", "agent"}));
  EXPECT_EQ(h.Scalar("SELECT subject FROM fact_ticket WHERE ticket_id = '5161'"),
            "Two lines\nin a subject");
  EXPECT_EQ(h.Column("SELECT event_id FROM fact_ticket_event WHERE source = 'ic' ORDER BY "
                     "occurred_at, event_id"),
            (std::vector<std::string>{"1911149811:created", "source:403918320", "part:31001",
                                      "part:31002", "1911149811:csat@1796033000"}));
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_ticket WHERE source = 'ic'"), "solved");
  EXPECT_EQ(h.Column("SELECT ticket_id || ' ' || status FROM fact_ticket WHERE source = "
                     "'cases-history' ORDER BY ticket_id"),
            (std::vector<std::string>{"CS-2001 open", "CS-2002 solved"}));
  EXPECT_EQ(h.Scalar("SELECT body FROM fact_message WHERE ticket_id = 'CS-2001'"),
            "Hello, \"quoted\" and, commas");

  // Importing everything again changes nothing.
  const std::string count = h.Scalar("SELECT COUNT(*) FROM fact_ticket_event");
  run({"import", "-s", "zd", "--format", "zendesk-ticket-events",
       dir + "zendesk_ticket_events.json"});
  run({"import", "-s", "cases-history", "--format", "csv", dir + "generic.csv"});
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_ticket_event"), count);

  // A format for another vendor is refused with a clear message.
  auto wrong =
      h.Cli({"import", "-s", "ic", "--format", "zendesk-csv", dir + "zendesk_tickets.csv"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("vendor intercom"), std::string::npos) << wrong.err;
}

TEST(SourcesIntegrationTest, APayloadContractSendsViolationsToTheDlqWithThePointer) {
  Harness h("", Env());
  std::ofstream(h.dir() + "/cases.schema.json")
      << R"({"type":"object","required":["case"],"properties":{"case":{"type":"object",
            "required":["number"],"properties":{"number":{"type":"string",
            "pattern":"^CS-[0-9]+$"}}}}})";
  // schema_file must come before the source's sub-tables ([source.mapping], ...).
  std::string config = kGeneric;
  config.insert(config.find("[source.mapping]"),
                "schema_file = \"" + h.dir() + "/cases.schema.json\"\n");
  std::ofstream(h.config_path(), std::ios::app) << config;
  ASSERT_TRUE(h.Start());
  const Headers auth = {{"Authorization", "Bearer cases-token"}};
  const std::string good =
      R"({"uuid":"u1","kind":"case_updated","case":{"number":"CS-7","state":"open","opened":"2026-11-30T10:00:00Z"}})";
  const std::string bad =
      R"({"uuid":"u2","kind":"case_updated","case":{"number":"7","state":"open","opened":"2026-11-30T10:00:00Z"}})";
  EXPECT_EQ(h.Post("/v1/webhooks/cases", good, auth).status, 202);
  EXPECT_EQ(h.Post("/v1/webhooks/cases", bad, auth).status, 202);
  ASSERT_TRUE(h.WaitForLoaded());
  EXPECT_EQ(h.Column("SELECT ticket_id FROM fact_ticket"), std::vector<std::string>{"CS-7"});
  auto dlq = h.Cli({"dlq", "list", "--format", "csv"});
  EXPECT_NE(dlq.out.find("/case/number"), std::string::npos) << dlq.out;
  EXPECT_NE(dlq.out.find("cases.schema.json"), std::string::npos) << dlq.out;
}

}  // namespace
}  // namespace supportpipe::testing_support
