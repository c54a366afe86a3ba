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

}  // namespace
}  // namespace supportpipe::testing_support
