// Destinations and rules through the real binary: an SLA breach with no event arriving is
// delivered signed to a receiver on loopback; a kill -9 in the middle of a retry schedule
// loses and doubles nothing; rules tag, route and prioritise incoming work and escalate it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "delivery/test_receiver.h"
#include "harness.h"

namespace supportpipe::testing_support {
namespace {

using delivery::kTestSecret;
using Receiver = delivery::TestReceiver;

std::string Config(int port) {
  return fmt::format(R"(
[[sla_policy]]
name = "fast"
[sla_policy.targets]
first_reply_time = {{ urgent = 0.05 }}   # 3 seconds

[[destination]]
name = "ops"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["sla.breached"]
retry_s = [1]
)",
                     port);
}

std::string Created(const std::string& id) {
  return fmt::format(R"({{"spec":"supportpipe/v1","id":"{}","type":"ticket.created",)"
                     R"("occurred_at":"{}","ticket":{{"id":"{}","priority":"urgent"}},)"
                     R"("message":{{"author_role":"customer","public":true}}}})",
                     id, NowRfc3339(), id);
}

template <typename Fn>
bool Eventually(Fn fn, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

TEST(DeliveryIntegrationTest, ABreachIsDeliveredSignedAndRetriesSurviveAKill9) {
  Receiver rx({Receiver::Answer{500}});  // fails until told otherwise
  Harness h(Config(rx.port()), {{"SP_OPS_SECRET", kTestSecret}});
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events", Created("D1")).status, 202);
  // The breach happens 3 s later with nothing arriving; the first attempt gets a 500.
  ASSERT_TRUE(Eventually([&] { return !rx.received().empty(); }, 15));
  h.Kill9();
  const size_t before = rx.received().size();
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_sla WHERE status = 'breached'"), "1");
  // Down for a while; then the receiver recovers and the server comes back.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(rx.received().size(), before);
  Receiver ok({Receiver::Answer{200}});
  std::string cfg = Config(ok.port());
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \""
                                 << h.dir() << "/data\"\n"
                                 << cfg;
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(Eventually([&] { return !ok.received().empty(); }, 15));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto got = ok.received();
  ASSERT_EQ(got.size(), 1u);  // delivered once
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_EQ(got[0].id, rx.received()[0].id);  // the same webhook-id as the failed attempts
  EXPECT_NE(got[0].body.find(R"("type":"sla.breached")"), std::string::npos);
  EXPECT_NE(got[0].body.find(R"("metric":"first_reply_time")"), std::string::npos);
  for (const auto& g : rx.received()) EXPECT_TRUE(g.signature_ok);

  auto list = h.Cli({"deliveries", "list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(",ops,delivered,sla.breached,"), std::string::npos) << list.out;
  // Sent again on request, with the same id.
  auto retry = h.Cli({"deliveries", "retry", "1"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_TRUE(Eventually([&] { return ok.received().size() == 2; }, 10));
  EXPECT_EQ(ok.received()[1].id, got[0].id);
  EXPECT_NE(h.Cli({"deliveries", "retry", "99"}).exit_code, 0);
  // A time range of a destination, again.
  auto replay = h.Cli({"deliveries", "replay", "--destination", "ops", "--from", "2000-01-01",
                       "--to", "2100-01-01"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.out.find("1 deliveries to ops are pending again"), std::string::npos)
      << replay.out;
  ASSERT_TRUE(Eventually([&] { return ok.received().size() == 3; }, 10));
  EXPECT_EQ(ok.received()[2].id, got[0].id);

  // The same through the admin API (loopback, no admin token configured).
  ASSERT_TRUE(Eventually(
      [&] {
        return h.Get("/v1/admin/deliveries?destination=ops&state=delivered")
                   .body.find(R"("id":1,)") != std::string::npos;
      },
      10));
  auto shown = h.Get("/v1/admin/deliveries/1");
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find(R"("message_id":")" + got[0].id + "\""), std::string::npos)
      << shown.body;
  EXPECT_NE(shown.body.find(R"(\"type\":\"sla.breached\")"), std::string::npos);
  ASSERT_EQ(h.Post("/v1/admin/deliveries/1/retry", "").status, 200);
  ASSERT_TRUE(Eventually([&] { return ok.received().size() == 4; }, 10));
  EXPECT_EQ(ok.received()[3].id, got[0].id);
  EXPECT_EQ(h.Get("/v1/admin/deliveries/7").status, 404);
}

std::string AlertsConfig(int crm_port, int oncall_port) {
  return fmt::format(R"(
[alerts]
check_interval_s = 1
window_s = 30
freshness_lag_s = 0
error_rate = 0.5
error_min_requests = 5
destination_down_s = 2

[[destination]]
name = "crm"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["ticket.created"]
retry_s = [1]

[[destination]]
name = "on-call"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["pipeline.alert"]
)",
                     crm_port, oncall_port);
}

// The alerts the on-call receiver got: "<check>/<subject> <state>" each, in order. A
// delivery repeated across a kill -9 (at least once, the same webhook-id) counts once, as a
// receiver de-duplicating by webhook-id sees it.
std::vector<std::string> Alerts(Receiver& rx) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : rx.received()) {
    EXPECT_TRUE(r.signature_ok);
    if (!seen.insert(r.id).second) continue;
    auto attr = [&](const std::string& k) {
      const std::string key = "\"" + k + "\":\"";
      const size_t at = r.body.find(key);
      if (at == std::string::npos) return std::string("?");
      const size_t from = at + key.size();
      return r.body.substr(from, r.body.find('"', from) - from);
    };
    out.push_back(attr("check") + "/" + attr("subject") + " " + attr("state"));
  }
  return out;
}

TEST(DeliveryIntegrationTest, PipelineAlertsFireResolveAndSurviveARestart) {
  Receiver down({Receiver::Answer{503}});
  Receiver oncall({Receiver::Answer{200}});
  Harness h(AlertsConfig(down.port(), oncall.port()), {{"SP_OPS_SECRET", kTestSecret}});
  ASSERT_TRUE(h.Start());
  ASSERT_EQ(h.Post("/v1/events", Created("A1")).status, 202);
  // crm answers 503: after 2 s with its delivery pending, the alert goes to on-call.
  ASSERT_TRUE(Eventually([&] { return !oncall.received().empty(); }, 15));
  EXPECT_EQ(Alerts(oncall), std::vector<std::string>{"destination_down/crm firing"});
  EXPECT_NE(oncall.received()[0].body.find(R"("type":"pipeline.alert")"), std::string::npos);
  EXPECT_NE(h.Get("/metrics").body.find("supportpipe_alerts_firing{check=\"destination_down\"} 1"),
            std::string::npos);
  // Six requests to a source that does not exist: 6 of 7 intake requests failed.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(h.Post("/v1/webhooks/nobody", "{}").status, 404);
  ASSERT_TRUE(Eventually([&] { return Alerts(oncall).size() == 2; }, 10));
  EXPECT_EQ(Alerts(oncall)[1], "error_rate/intake firing");

  // A restart remembers what fires; crm is back: its alert resolves, once.
  h.Kill9();
  Receiver up({Receiver::Answer{200}});
  std::ofstream(h.config_path()) << "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\ndata_dir = \""
                                 << h.dir() << "/data\"\n"
                                 << AlertsConfig(up.port(), oncall.port());
  ASSERT_TRUE(h.Start());
  ASSERT_TRUE(Eventually([&] { return !up.received().empty(); }, 15));
  ASSERT_TRUE(Eventually(
      [&] {
        auto a = Alerts(oncall);
        return std::find(a.begin(), a.end(), "destination_down/crm resolved") != a.end();
      },
      15));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto a = Alerts(oncall);
  EXPECT_EQ(std::count(a.begin(), a.end(), "destination_down/crm firing"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "destination_down/crm resolved"), 1);
  EXPECT_EQ(std::count(a.begin(), a.end(), "error_rate/intake firing"), 1);
}

TEST(DeliveryIntegrationTest, DestinationsNeedingConsentGetNothingAboutThoseWithoutIt) {
  Receiver crm({Receiver::Answer{200}});
  Harness h(fmt::format(R"(
[[destination]]
name = "crm"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["message.created"]

[privacy.consent.marketing]
destinations = ["crm"]
)",
                        crm.port()),
            {{"SP_OPS_SECRET", kTestSecret}});
  ASSERT_TRUE(h.Start());
  const std::string now = NowRfc3339();
  auto ev = [&](const std::string& id, const std::string& type, const std::string& rest) {
    return fmt::format(R"({{"spec":"supportpipe/v1","id":"{}","type":"{}","occurred_at":"{}",{}}})",
                       id, type, now, rest);
  };
  ASSERT_EQ(
      h.Post("/v1/events",
             "[" +
                 ev("u1", "customer.upserted",
                    R"("customer":{"id":"c1","consent":{"marketing":true}})") +
                 "," + ev("t1", "ticket.created", R"("ticket":{"id":"T1","requester":"c1"})") +
                 "," + ev("t2", "ticket.created", R"("ticket":{"id":"T2","requester":"c2"})") + "]")
          .status,
      202);
  ASSERT_TRUE(h.WaitForLoaded());
  auto msg = [&](const std::string& id, const std::string& ticket) {
    return ev(
        id, "message.created",
        R"("ticket":{"id":")" + ticket + R"("},"message":{"author_role":"customer","body":"hi"})");
  };
  ASSERT_EQ(h.Post("/v1/events", "[" + msg("m1", "T1") + "," + msg("m2", "T2") + "]").status, 202);
  ASSERT_TRUE(Eventually([&] { return !crm.received().empty(); }, 10));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_EQ(crm.received().size(), 1u);
  EXPECT_NE(crm.received()[0].body.find(R"("id":"m1")"), std::string::npos);
  auto list = h.Cli({"deliveries", "list", "--destination", "crm", "--format", "csv"});
  EXPECT_NE(list.out.find("skipped"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("has not given marketing consent"), std::string::npos) << list.out;

  // A destination the consent rules name must exist.
  std::ofstream(h.config_path()) << "[privacy.consent.marketing]\ndestinations = [\"nope\"]\n";
  auto bad = h.Cli({"check-config", h.config_path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("privacy.consent.marketing.destinations"), std::string::npos) << bad.err;
}

TEST(DeliveryIntegrationTest, RulesTagRouteAndPrioritiseAndEscalateOnce) {
  Receiver rx({Receiver::Answer{200}});
  Harness h(fmt::format(R"(
[[rule]]
name = "refund-intent"
when = {{ type = ["ticket.created", "message.created"], body_matches = "(?i)refund|chargeback" }}
then = {{ add_tags = ["refund"], set_priority = "high", route_group = "billing" }}

[[rule]]
name = "vip-urgent-escalation"
when = {{ priority = ["urgent", "high"], customer_tier = ["vip"] }}
then = {{ emit = "ticket.escalated" }}

[[destination]]
name = "ops"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["ticket.escalated"]
)",
                        rx.port()),
            {{"SP_OPS_SECRET", kTestSecret}});
  auto check = h.Cli({"check-config", h.config_path()});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("rule refund-intent"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("add tags, priority high, group billing"), std::string::npos);
  ASSERT_TRUE(h.Start());
  const std::string now = NowRfc3339();
  auto ev = [&](const std::string& id, const std::string& type, const std::string& rest) {
    return fmt::format(R"({{"spec":"supportpipe/v1","id":"{}","type":"{}","occurred_at":"{}",{}}})",
                       id, type, now, rest);
  };
  const std::string batch =
      ev("p1", "customer.upserted", R"("customer":{"id":"ana","tier":"vip"})") + "\n" +
      ev("R1", "ticket.created",
         R"("ticket":{"id":"R1","priority":"normal","requester":"ana","tags":["web"]},)"
         R"("message":{"author_role":"customer","body":"I was charged twice. Refund please."})") +
      "\n" +
      ev("R1m", "message.created",
         R"("ticket":{"id":"R1"},"message":{"author_role":"customer","body":"CHARGEBACK next"})") +
      "\n" +
      ev("R2", "ticket.created",
         R"("ticket":{"id":"R2","priority":"normal","requester":"ana"},)"
         R"("message":{"author_role":"customer","body":"How do I export?"})");
  ASSERT_EQ(h.Post("/v1/events", batch, {{"content-type", "application/x-ndjson"}}).status, 202);
  ASSERT_TRUE(Eventually([&] { return !rx.received().empty(); }, 15));
  ASSERT_TRUE(Eventually(
      [&] { return h.Scalar("SELECT priority FROM fact_ticket WHERE ticket_id = 'R1'") == "high"; },
      10));
  EXPECT_EQ(h.Scalar("SELECT group_name || ' ' || tags FROM fact_ticket WHERE ticket_id = 'R1'"),
            R"(billing ["web","refund"])");
  EXPECT_EQ(h.Scalar("SELECT priority || ' ' || IFNULL(group_name, '-') FROM fact_ticket WHERE "
                     "ticket_id = 'R2'"),
            "normal -");
  EXPECT_EQ(h.Scalar("SELECT group_concat(json_extract(attributes, '$.rule'), ',') FROM "
                     "fact_ticket_event WHERE ticket_id = 'R1' AND raw_offset = 0"),
            "refund-intent,vip-urgent-escalation");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto got = rx.received();
  ASSERT_EQ(got.size(), 1u);  // the second message escalates the same ticket: once
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_NE(got[0].body.find(R"("type":"ticket.escalated")"), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find(R"("rule":"vip-urgent-escalation")"), std::string::npos);
  EXPECT_NE(got[0].body.find(R"("priority":"high")"), std::string::npos);
  EXPECT_NE(
      h.Get("/metrics")
          .body.find(
              R"(supportpipe_rule_events_total{rule="refund-intent",type="ticket.updated"} 1)"),
      std::string::npos);

  // A pattern RE2 does not accept is refused with its place in the file.
  std::ofstream(h.dir() + "/bad.toml")
      << "[[rule]]\nname = \"r\"\nwhen = { body_matches = \"(?<x\" }\nthen = { add_tags = "
         "[\"x\"] }\n";
  auto bad = h.Cli({"check-config", h.dir() + "/bad.toml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:1: rule[0].when.body_matches: not a valid RE2 pattern"),
            std::string::npos)
      << bad.err;
}

TEST(DeliveryIntegrationTest, ASlowDestinationDelaysNeitherTheOthersNorTheWarehouse) {
  Receiver slow({Receiver::Answer{200, "", 4000}});  // each answer takes 4 s
  Receiver fast({Receiver::Answer{200}});
  Harness h(fmt::format(R"(
[[rule]]
name = "every-new-ticket"
when = {{ type = ["ticket.created"] }}
then = {{ emit = "ticket.escalated" }}

[[destination]]
name = "slow"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["ticket.escalated"]
timeout_ms = 10000

[[destination]]
name = "fast"
url = "http://127.0.0.1:{}/hooks"
secret_env = "SP_OPS_SECRET"
events = ["ticket.escalated"]
)",
                        slow.port(), fast.port()),
            {{"SP_OPS_SECRET", kTestSecret}});
  ASSERT_TRUE(h.Start());
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += Created("S" + std::to_string(i)) + "\n";
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(h.Post("/v1/events", batch, {{"content-type", "application/x-ndjson"}}).status, 202);
  ASSERT_TRUE(Eventually([&] { return fast.received().size() == 5; }, 10));
  ASSERT_TRUE(Eventually([&] { return h.Scalar("SELECT COUNT(*) FROM fact_ticket") == "5"; }, 5));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  // All five reached the fast destination and the warehouse while the slow one still works
  // through its first or second (one attempt at a time, 4 s each).
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_LE(slow.received().size(), 1u);
  for (const auto& r : fast.received()) EXPECT_TRUE(r.signature_ok);
}

}  // namespace
}  // namespace supportpipe::testing_support
