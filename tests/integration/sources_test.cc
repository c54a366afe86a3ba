// Every vendor's webhooks through the real server: verification outcomes, the warehouse
// rows they produce, drift, dead letters fixed by a mapping change, and a backfill that
// agrees with the webhooks.
#include <gtest/gtest.h>

#include <fstream>
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

Headers Intercom(const std::string& body) {
  return {{"X-Hub-Signature", "sha1=" + HexEncode(HmacSha1("ic-secret", body))}};
}

Headers HubSpot(const std::string& body, int64_t skew_s = 0) {
  const std::string ts = std::to_string((NowS() + skew_s) * 1000);
  return {{"X-HubSpot-Signature-v3",
           sources::HubSpotSignV3("hs-secret", "POST", "https://hooks.example.com/v1/webhooks/hs",
                                  body, ts)},
          {"X-HubSpot-Request-Timestamp", ts}};
}

Headers Front(const std::string& body, int64_t skew_s = 0) {
  const std::string ts = std::to_string((NowS() + skew_s) * 1000);
  return {{"X-Front-Signature", Base64Encode(HmacSha256("front-key", ts + ":" + body))},
          {"X-Front-Request-Timestamp", ts}};
}

Headers Scout(const std::string& body, const std::string& event) {
  return {{"X-HelpScout-Signature", Base64Encode(HmacSha1("scout-secret", body))},
          {"X-HelpScout-Event", event}};
}

Headers Slack(const std::string& body, int64_t skew_s = 0) {
  const std::string ts = std::to_string(NowS() + skew_s);
  return {{"X-Slack-Signature", sources::SlackSign("slack-secret", ts, body)},
          {"X-Slack-Request-Timestamp", ts}};
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
  // Intercom conversation: created, replied, closed.
  for (const char* f :
       {"intercom_user_created.json", "intercom_admin_replied.json", "intercom_closed.json"}) {
    post("ic", Fixture(f), Intercom(Fixture(f)));
  }
  const std::string batch = Fixture("hubspot_batch.json");
  post("hs", batch, HubSpot(batch));
  for (const char* f : {"front_inbound.json", "front_archive.json"}) {
    post("front", Fixture(f), Front(Fixture(f)));
  }
  post("scout", Fixture("helpscout_convo_created.json"),
       Scout(Fixture("helpscout_convo_created.json"), "convo.created"));
  post("scout", Fixture("helpscout_rating.json"),
       Scout(Fixture("helpscout_rating.json"), "satisfaction.ratings"));
  for (const char* f : {"slack_message.json", "slack_reply.json"}) {
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

TEST(SourcesIntegrationTest, RefusalsAreCountedByReasonAndDuplicatesAreAnswered200) {
  Harness h(kConfig, Env());
  ASSERT_TRUE(h.Start());
  const std::string zd = Fixture("zendesk_ticket_created.json");
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd, Zendesk(zd)).status, 202);
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd, Zendesk(zd)).status, 200);  // a retry
  std::string changed = zd;
  changed[changed.find("HIGH")] = 'h';  // one byte
  EXPECT_EQ(h.Post("/v1/webhooks/zd", changed, Zendesk(zd)).status, 401);
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd, Zendesk(zd, "zd-new", -600)).status, 401);
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd, Zendesk(zd, "zd-new", 600)).status, 401);
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd, Zendesk(zd, "not-the-secret")).status, 401);
  EXPECT_EQ(h.Post("/v1/webhooks/zd", zd).status, 401);

  const std::string ic = Fixture("intercom_admin_replied.json");
  EXPECT_EQ(h.Post("/v1/webhooks/ic", ic, Intercom(ic)).status, 202);
  EXPECT_EQ(h.Post("/v1/webhooks/ic", ic, Intercom(ic)).status, 200);
  EXPECT_EQ(h.Post("/v1/webhooks/ic", ic + " ", Intercom(ic)).status, 401);

  const std::string batch = Fixture("hubspot_batch.json");
  EXPECT_EQ(h.Post("/v1/webhooks/hs", batch, HubSpot(batch, -400)).status, 401);
  auto v3_query = HubSpot(batch);
  EXPECT_EQ(h.Post("/v1/webhooks/hs?portal=1", batch, v3_query).status, 401);

  const std::string sl = Fixture("slack_message.json");
  EXPECT_EQ(h.Post("/v1/webhooks/slack", sl, Slack(sl, -301)).status, 401);
  EXPECT_EQ(h.Post("/v1/webhooks/slack", sl, Slack(sl, 301)).status, 401);
  const std::string verify = R"({"token":"t","challenge":"abc123","type":"url_verification"})";
  auto ch = h.Post("/v1/webhooks/slack", verify, Slack(verify));
  EXPECT_EQ(ch.status, 200);
  EXPECT_EQ(ch.body, R"({"challenge":"abc123"})");

  const std::string fr = Fixture("front_inbound.json");
  auto fch = Front(fr);
  fch["X-Front-Challenge"] = "front-ch";
  auto fr_ok = h.Post("/v1/webhooks/front", fr, fch);
  EXPECT_EQ(fr_ok.status, 200);
  EXPECT_EQ(fr_ok.body, R"({"challenge":"front-ch"})");
  EXPECT_EQ(h.Post("/v1/webhooks/front", fr, Front(fr, -400)).status, 401);

  EXPECT_EQ(h.Post("/v1/webhooks/fd", Fixture("freshdesk_created.json"),
                   {{"Authorization", "Basic " + Base64Encode("fd:wrong")}})
                .status,
            401);
  EXPECT_EQ(h.Post("/v1/webhooks/gorgias", Fixture("gorgias_updated.json")).status, 401);

  const std::string metrics = h.Get("/metrics").body;
  for (const char* line :
       {R"(supportpipe_auth_failures_total{source="zd",reason="signature_mismatch"} 2)",
        R"(supportpipe_auth_failures_total{source="zd",reason="timestamp_too_old"} 1)",
        R"(supportpipe_auth_failures_total{source="zd",reason="timestamp_in_future"} 1)",
        R"(supportpipe_auth_failures_total{source="zd",reason="missing_header"} 1)",
        R"(supportpipe_auth_failures_total{source="hs",reason="timestamp_too_old"} 1)",
        R"(supportpipe_auth_failures_total{source="hs",reason="signature_mismatch"} 1)",
        R"(supportpipe_auth_failures_total{source="slack",reason="timestamp_in_future"} 1)",
        R"(supportpipe_auth_failures_total{source="fd",reason="credential_mismatch"} 1)",
        R"(supportpipe_auth_failures_total{source="gorgias",reason="missing_header"} 1)"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(metrics.find("zd-new"), std::string::npos);
  ASSERT_TRUE(h.WaitForLoaded());
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

}  // namespace
}  // namespace supportpipe::testing_support
