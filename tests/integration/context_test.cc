// Customer context through the real binary: orders from a shop's CSV export read through a
// column mapping, returns and subscription changes as canonical JSON lines, tickets from the
// helpdesk, all joined in the warehouse's context views; bad rows rejected by name.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "harness.h"

namespace supportpipe::testing_support {
namespace {

const char* kConfig = R"(
[[source]]
name = "shop"
vendor = "generic"
auth = "none"
[source.mapping]
id = "/event_id"
type = "/kind"
occurred_at = "/at"
"customer.id" = "/customer"
"order.id" = "/order"
"order.status" = "/state"
"order.amount" = "/total"
"order.currency" = "/currency"
"order.items" = "/items"
[source.values.type]
placed = "order.created"
changed = "order.updated"
)";

std::string Line(const std::string& id, const std::string& type, const std::string& at,
                 const std::string& rest) {
  return R"({"spec":"supportpipe/v1","id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":")" + at + "\"," + rest + "}\n";
}

TEST(ContextIntegrationTest, OrdersFromCsvReturnsFromJsonlAndTicketsMeetInTheViews) {
  Harness h(kConfig);
  // 200 generated customers: each places an order on day d (amount by customer), some
  // change it, some return part of it, and one in four opens a ticket within days.
  std::mt19937 rng(7);
  std::ofstream csv(h.dir() + "/orders.csv");
  std::ofstream jsonl(h.dir() + "/returns.jsonl");
  std::ofstream tickets(h.dir() + "/tickets.jsonl");
  csv << "event_id,kind,at,customer,order,state,total,currency,items\n";
  int expected_tickets_within_7d = 0, returns = 0;
  for (int c = 0; c < 200; ++c) {
    const int day = 1 + c % 20;
    const std::string at = "2026-10-" + std::string(day < 10 ? "0" : "") + std::to_string(day);
    const std::string cust = "cust-" + std::to_string(c);
    const std::string order = "ORD-" + std::to_string(1000 + c);
    csv << "p" << c << ",placed," << at << "T09:00:00Z," << cust << "," << order << ",paid,"
        << (20 + c * 3) << ".50,eur," << (1 + c % 4) << "\n";
    if (c % 3 == 0) {
      csv << "s" << c << ",changed," << at << "T18:00:00Z," << cust << "," << order
          << ",shipped,,,\n";
    }
    if (c % 5 == 0) {
      ++returns;
      jsonl << Line("ret" + std::to_string(c), "return.requested", at + "T20:00:00Z",
                    R"("customer":{"id":")" + cust + R"("},"return":{"id":"R)" + std::to_string(c) +
                        R"(","order_id":")" + order +
                        R"(","items":1,"amount":10,"currency":"EUR","reason":"damaged"})");
    }
    if (c % 4 == 0) {
      const int after = static_cast<int>(rng() % 12);  // days after the order
      expected_tickets_within_7d += after < 7;         // tickets at 10:00, orders at 09:00
      const int tday = day + after;
      const std::string tat = "2026-" + std::string(tday > 31 ? "11-" : "10-") +
                              (tday > 31 ? (tday - 31 < 10 ? "0" : "") + std::to_string(tday - 31)
                                         : (tday < 10 ? "0" : "") + std::to_string(tday));
      tickets << Line(
          "t" + std::to_string(c), "ticket.created", tat + "T10:00:00Z",
          R"("ticket":{"id":"T)" + std::to_string(c) + R"(","requester":")" + cust + R"("})");
      tickets << Line("q" + std::to_string(c), "csat.submitted", tat + "T11:00:00Z",
                      R"("ticket":{"id":"T)" + std::to_string(c) + R"("},"csat":{"rating":")" +
                          (c % 8 == 0 ? "good" : "bad") + R"("})");
    }
  }
  jsonl << Line(
      "sub1", "subscription.changed", "2026-10-02T10:00:00Z",
      R"("customer":{"id":"cust-1"},"subscription":{"id":"S1","plan":"pro","status":"active"})");
  jsonl << Line("bad1", "order.created", "2026-10-02T10:00:00Z",
                R"("customer":{"id":"cust-1"},"order":{"id":"X","amount":5})");
  csv << "broken,placed,2026-10-03T09:00:00Z,cust-9,ORD-X,paid,lots,EUR,1\n";
  csv.close();
  jsonl.close();
  tickets.close();

  auto orders = h.Cli({"import", "-s", "shop", "--format", "csv", "orders.csv"});
  EXPECT_EQ(orders.exit_code, 3) << orders.err;  // one row rejected, the rest in
  auto ret = h.Cli({"import", "-s", "returns-app", "returns.jsonl"});  // canonical lines
  EXPECT_EQ(ret.exit_code, 3) << ret.err;  // the order without a currency
  EXPECT_NE(ret.err.find("/order/currency"), std::string::npos) << ret.err;
  auto tk = h.Cli({"import", "-s", "helpdesk", "tickets.jsonl"});
  ASSERT_EQ(tk.exit_code, 0) << tk.err;

  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_order"), "200");
  EXPECT_EQ(h.Scalar("SELECT status || ' ' || amount || ' ' || currency || ' ' || items FROM "
                     "fact_order WHERE order_id = 'ORD-1003'"),
            "shipped 29.5 EUR 4");
  EXPECT_EQ(h.Scalar("SELECT status FROM fact_order WHERE order_id = 'ORD-1001'"), "paid");
  EXPECT_EQ(h.Scalar("SELECT SUM(returns) FROM fact_order"), std::to_string(returns));
  EXPECT_EQ(h.Scalar("SELECT returns || ' ' || returned_items || ' ' || returned_amount FROM "
                     "fact_order WHERE order_id = 'ORD-1005'"),
            "1 1 10.0");
  EXPECT_EQ(h.Scalar("SELECT plan FROM fact_customer_event WHERE type = 'subscription.changed'"),
            "pro");
  // Every ticket found its customer's order; the views agree with what was generated.
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM ticket_orders"), "50");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM ticket_orders WHERE days_after_order <= 7"),
            std::to_string(expected_tickets_within_7d));
  EXPECT_EQ(h.Scalar("SELECT SUM(orders) FROM daily_contacts_per_order"), "200");
  EXPECT_EQ(h.Scalar("SELECT SUM(rated) || ' ' || SUM(positive) FROM csat_by_order_value"),
            "50 25");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM csat_by_order_value"), "5");
  // The bad CSV row is a dead letter naming its column.
  auto dlq = h.Cli({"dlq", "list", "--format", "csv"});
  EXPECT_NE(dlq.out.find(",/total,\"must be a decimal number"), std::string::npos) << dlq.out;
}

TEST(ContextIntegrationTest, ContextEventsOverHttpGetVerdictsAndLand) {
  Harness h(kConfig);
  ASSERT_TRUE(h.Start());
  auto r = h.Post(
      "/v1/events",
      "[" +
          Line(
              "h1", "order.created", "2026-10-01T09:00:00Z",
              R"("source":"shop","customer":{"id":"c9"},"order":{"id":"W-1","amount":"49.90","currency":"EUR","items":1})") +
          "," +
          Line("h2", "order.created", "2026-10-01T09:00:00Z",
               R"("customer":{"id":"c9"},"order":{"id":"W-2","currency":"EURO"})") +
          "]");
  EXPECT_EQ(r.status, 207) << r.body;
  EXPECT_NE(r.body.find(R"("pointer":"/order/currency")"), std::string::npos) << r.body;
  // The shop's own webhook, through its mapping.
  auto w = h.Post(
      "/v1/webhooks/shop",
      R"({"event_id":"wh1","kind":"changed","at":"2026-10-02T09:00:00Z","customer":"c9","order":"W-1","state":"Delivered"})");
  EXPECT_EQ(w.status, 202) << w.body;
  ASSERT_TRUE(h.WaitForLoaded());
  // The same order from the shop's two feeds (its events API and its webhook) is one row.
  EXPECT_EQ(h.Scalar("SELECT status || ' ' || amount || ' ' || customer_id FROM fact_order"),
            "delivered 49.9 c9");
}

TEST(ContextIntegrationTest, ProcessingReportFollowsTheConfigAndTheData) {
  Harness h(std::string(kConfig) + R"(
[[source]]
name = "zd"
vendor = "zendesk"
secret_env = "SP_ZD_SECRET"

[privacy]
redact = ["email", "phone"]
encryption_key_file = "raw.key"

[retention]
raw_days = 30
messages_days = 365

[[destination]]
name = "ops"
url = "https://hooks.example.com/support"
secret_env = "SP_ZD_SECRET"
events = ["sla.breached", "ticket.escalated"]

[[destination]]
name = "crm"
url = "https://crm.example.com/in"
secret_env = "SP_ZD_SECRET"
events = ["message.created"]
)",
            {{"SP_ZD_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}});
  std::ofstream(h.dir() + "/raw.key") << std::string(64, 'a') << "\n";
  std::ofstream(h.dir() + "/shop.jsonl")
      << Line(
             "o1", "order.created", "2026-10-01T09:00:00Z",
             R"("customer":{"id":"c1","email":"ana@example.com","name":"Ana"},"order":{"id":"A","amount":5,"currency":"EUR"})")
      << Line("t1", "message.created", "2026-10-02T09:00:00Z",
              R"("ticket":{"id":"T1"},"message":{"author_role":"customer","body":"hi"})");
  ASSERT_EQ(h.Cli({"import", "-s", "webshop", "shop.jsonl"}).exit_code, 0);
  ASSERT_EQ(h.Cli({"token", "create", "--name", "bi", "--scope", "read"}).exit_code, 0);

  auto json = h.Cli({"processing-report", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string& j = json.out;
  for (
      const char* want : {
          // a helpdesk source, by what its vendor carries
          R"j({"name":"zd","vendor":"zendesk","arrives_by":["signed webhooks (POST /v1/webhooks/zd)","file import (supportpipe import -s zd)"],"categories":["customer identifiers","names","email addresses","phone numbers",)j",
          // a mapped source, by what its mapping reads (purchase history, no emails)
          R"j({"name":"shop","vendor":"generic",)j",
          R"j("purchase history (orders, returns, subscriptions, accounts)"],"tickets":0,)j",
          // a source seen only in the data, by what the data shows
          R"j({"name":"webshop","vendor":"canonical","arrives_by":["canonical events (POST /v1/events) or file import"],"categories":["customer identifiers","names","email addresses","free-text messages and ticket subjects (may hold any personal data)","purchase history (orders, returns, subscriptions, accounts)","request metadata (HTTP headers)"],"tickets":1,"customers":1,"with_email":1,"with_phone":0,"with_name":1,"messages_with_body":1,"context_events":1})j",
          R"j("payloads encrypted at rest (XChaCha20-Poly1305, key file raw.key)")j",
          R"j("retention":"30 days once processed","records":2})j",
          R"j("in free text, email, phone replaced before storage")j",
          R"j({"name":"warehouse fact_order",)j",
          R"j({"name":"ops","host":"hooks.example.com","format":"standard","events":["sla.breached","ticket.escalated"],"categories":["customer identifiers","ticket subjects","customer tiers"]})j",
          R"j({"name":"crm","host":"crm.example.com","format":"standard","events":["message.created"],"categories":["customer identifiers","names","email addresses","phone numbers","free-text messages and ticket subjects (may hold any personal data)"]})j",
          R"j({"scope":"read","can":"deliveries and their payloads (events as sent to destinations)","active_tokens":1})j",
      }) {
    EXPECT_NE(j.find(want), std::string::npos) << want << "\n" << j;
  }
  auto md = h.Cli({"processing-report"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("# Record of processing"), std::string::npos);
  EXPECT_NE(md.out.find("| ops | hooks.example.com | standard | sla.breached, ticket.escalated |"),
            std::string::npos)
      << md.out;
  // Reading the report is on record.
  auto audit = h.Cli({"audit", "list", "--format", "csv"});
  EXPECT_NE(audit.out.find("processing-report"), std::string::npos) << audit.out;
}

TEST(ContextIntegrationTest, OnePersonAcrossThreeSourcesMeetsTheirOrdersAndIsErasedWhole) {
  Harness h(R"(
[identity]
match_on = ["email", "phone"]
default_country_code = "47"
)");
  std::ofstream(h.dir() + "/zd.jsonl") << Line(
      "z1", "ticket.created", "2026-10-05T10:00:00Z",
      R"("ticket":{"id":"T1","requester":"r1"},"customer":{"id":"r1","email":"Ana@Example.com","name":"Ana"})");
  std::ofstream(h.dir() + "/ic.jsonl")
      << Line("i1", "customer.upserted", "2026-10-01T10:00:00Z",
              R"("customer":{"id":"c1","email":"ana@example.com","phone":"+47 912 34 567"})");
  std::ofstream(h.dir() + "/shop.jsonl") << Line(
      "s1", "order.created", "2026-10-03T10:00:00Z",
      R"("customer":{"id":"s1","phone":"912 34 567"},"order":{"id":"A-1","amount":99,"currency":"NOK"})");
  for (const char* src : {"zd", "ic", "shop"}) {
    ASSERT_EQ(h.Cli({"import", "-s", src, std::string(src) + ".jsonl"}).exit_code, 0) << src;
  }
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) || ' ' || MAX(records) || ' ' || MAX(sources) || ' ' || "
                     "MAX(tickets) || ' ' || MAX(orders) FROM dim_person"),
            "1 3 3 1 1");
  EXPECT_EQ(h.Scalar("SELECT ticket_id || '>' || order_source || '/' || order_id FROM "
                     "ticket_orders"),
            "T1>shop/A-1");
  const std::string person = h.Scalar("SELECT person_key FROM dim_person");
  auto erased = h.Cli({"erase", "--person", person});
  ASSERT_EQ(erased.exit_code, 0) << erased.err;
  EXPECT_NE(erased.out.find(R"("customers":3)"), std::string::npos) << erased.out;
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM dim_customer"), "0");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM person_link"), "0");
  EXPECT_EQ(h.Scalar("SELECT COUNT(*) FROM fact_order"), "1");  // the order stays, anonymous
  EXPECT_EQ(h.Scalar("SELECT customer_id LIKE 'erased:%' FROM fact_order"), "1");
}

}  // namespace
}  // namespace supportpipe::testing_support
