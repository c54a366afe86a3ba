#include "warehouse/warehouse_contract.h"

#include <filesystem>
#include <random>
#include <set>

#include <fmt/format.h>

#include "common/test_servers.h"
#include "event/codec.h"
#include "support/ticket_metrics.h"

namespace supportpipe::warehouse {
namespace {

std::string Ev(const std::string& id, const std::string& type, const std::string& at,
               const std::string& rest) {
  return R"({"spec":"supportpipe/v1","source":"acme","id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":")" + at + "\"" + (rest.empty() ? "" : "," + rest) + "}";
}

}  // namespace

void WarehouseContract::SetUp() {
  if (GetParam().unavailable) {
    if (std::string why = GetParam().unavailable(); !why.empty()) {
      if (TestServersRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
  Reopen();
}

void WarehouseContract::TearDown() { wh_.reset(); }

void WarehouseContract::Configure(const std::string& toml) {
  auto config = ParseConfig(toml, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto policies = support::Policies::Create(*config);
  ASSERT_TRUE(policies.ok()) << policies.status().ToString();
  policies_ = std::move(policies).value();
  Reopen();
}

void WarehouseContract::Reopen() {
  wh_.reset();
  auto r = GetParam().open(dir_.path(), clock_, policies_.get());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  wh_ = std::move(r).value();
}

LoadStats WarehouseContract::LoadJson(const std::vector<std::string>& events) {
  std::vector<event::Event> decoded;
  for (const auto& json : events) {
    auto e = event::DecodeCanonical(json, {.trusted = true});
    EXPECT_TRUE(e.ok()) << json << ": " << e.status().ToString();
    if (e.ok()) decoded.push_back(std::move(e).value());
  }
  return LoadEvents(std::move(decoded));
}

LoadStats WarehouseContract::LoadEvents(std::vector<event::Event> events) {
  std::vector<LoadItem> items;
  for (auto& e : events) {
    LoadItem item;
    item.offset = next_offset_;
    item.raw_offset = 100 + next_offset_;
    ++next_offset_;
    item.event = std::move(e);
    items.push_back(std::move(item));
  }
  auto r = wh_->Load("loader", items, next_offset_ - 1);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : LoadStats();
}

std::string WarehouseContract::Scalar(const std::string& sql) {
  auto r = wh_->Query(sql, 10);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  if (!r.ok() || r->rows.empty()) return "<no rows>";
  const Cell& c = r->rows[0][0];
  switch (c.kind) {
    case Cell::Kind::kNull:
      return "";
    case Cell::Kind::kInt:
      return std::to_string(c.i);
    case Cell::Kind::kReal:
      return std::to_string(c.d);
    case Cell::Kind::kText:
      return c.s;
  }
  return "";
}

std::string WarehouseContract::Rows(const std::string& sql) {
  auto r = wh_->Query(sql, 100);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  std::string out;
  for (const auto& row : r.ok() ? r->rows : std::vector<std::vector<Cell>>()) {
    if (!out.empty()) out += " | ";
    for (size_t i = 0; i < row.size(); ++i) {
      const Cell& c = row[i];
      if (i) out += ' ';
      switch (c.kind) {
        case Cell::Kind::kNull:
          out += "NULL";
          break;
        case Cell::Kind::kInt:
          out += std::to_string(c.i);
          break;
        case Cell::Kind::kReal:
          out += fmt::format("{}", c.d);
          break;
        case Cell::Kind::kText:
          out += c.s;
          break;
      }
    }
  }
  return out;
}

TEST_P(WarehouseContract, LoadsTimelineMessagesTicketsAndProfiles) {
  auto s = LoadJson({
      Ev("e1", "ticket.created", "2025-11-01T10:00:00Z",
         R"("ticket":{"id":"T1","status":"new","priority":"normal","channel":"email","subject":"Hi","tags":["a"]},"customer":{"id":"c1","email":"ana@example.com","name":"Ana"})"),
      Ev("e2", "message.created", "2025-11-01T10:05:00Z",
         R"("ticket":{"id":"T1"},"message":{"id":"m1","author":"a1","author_role":"agent","public":true,"body":"On it"},"agent":{"id":"a1","name":"Sam"})"),
      Ev("e3", "ticket.status_changed", "2025-11-01T10:06:00Z",
         R"("ticket":{"id":"T1"},"changes":{"status":{"from":"new","to":"pending"}})"),
  });
  EXPECT_EQ(s.inserted, 3u);
  EXPECT_EQ(s.tickets, 1u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "3");
  EXPECT_EQ(Scalar("SELECT status || '/' || priority || '/' || channel || '/' || tags FROM "
                   "fact_ticket WHERE ticket_id = 'T1'"),
            "pending/normal/email/[\"a\"]");
  EXPECT_EQ(Scalar("SELECT created_at || ' ' || updated_at FROM fact_ticket"),
            "2025-11-01T10:00:00.000000Z 2025-11-01T10:06:00.000000Z");
  EXPECT_EQ(Scalar("SELECT body || '|' || author_role FROM fact_message WHERE message_id = 'm1'"),
            "On it|agent");
  EXPECT_EQ(Scalar("SELECT email FROM dim_customer WHERE customer_id = 'c1'"), "ana@example.com");
  EXPECT_EQ(Scalar("SELECT name FROM dim_agent WHERE agent_id = 'a1'"), "Sam");
  // Lineage on every row.
  EXPECT_EQ(Scalar("SELECT raw_offset || ':' || event_id || ':' || source FROM fact_ticket"),
            "103:e3:acme");
  EXPECT_EQ(
      Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE raw_offset > 100 AND loaded_at <> ''"),
      "3");
  EXPECT_EQ(Scalar("SELECT events || '/' || last_offset FROM _loads"), "3/3");
}

TEST_P(WarehouseContract, OrdersReturnsAndTicketsMeetInTheContextViews) {
  const std::string c1 = R"("customer":{"id":"c1"})";
  // The update arrives before the creation, and the creation twice.
  LoadJson({Ev("o1u", "order.updated", "2025-11-03T08:00:00Z",
               c1 + R"(,"order":{"id":"O1","status":"shipped"})")});
  LoadJson(
      {Ev("o1c", "order.created", "2025-11-01T09:00:00Z",
          c1 + R"(,"order":{"id":"O1","status":"paid","amount":80,"currency":"EUR","items":2})"),
       Ev("r1", "return.requested", "2025-11-05T12:00:00Z",
          c1 + R"(,"return":{"id":"R1","order_id":"O1","items":1,"amount":40,"currency":"EUR"})"),
       Ev("o2c", "order.created", "2025-11-10T09:00:00Z",
          c1 + R"(,"order":{"id":"O2","amount":"600.00","currency":"EUR","items":1})"),
       Ev("s1", "subscription.changed", "2025-11-10T09:30:00Z",
          c1 + R"(,"subscription":{"id":"S1","plan":"pro","status":"active"})")});
  LoadJson(
      {Ev("o1c", "order.created", "2025-11-01T09:00:00Z",
          c1 + R"(,"order":{"id":"O1","status":"paid","amount":80,"currency":"EUR","items":2})")});
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_order"), "2");
  EXPECT_EQ(Rows("SELECT customer_id, status, amount, currency, items, created_at, returns, "
                 "returned_items, returned_amount FROM fact_order WHERE order_id = 'O1'"),
            "c1 shipped 80 EUR 2 2025-11-01T09:00:00.000000Z 1 1 40");
  EXPECT_EQ(Rows("SELECT COUNT(*), SUM(CASE WHEN object = 'subscription' THEN 1 ELSE 0 END) "
                 "FROM fact_customer_event WHERE customer_id = 'c1'"),
            "5 1");

  // Tickets of the same customer: after O1, after O2 the same day, and long after O2.
  LoadJson({Ev("t1", "ticket.created", "2025-11-04T10:00:00Z",
               R"("ticket":{"id":"T1","requester":"c1"})"),
            Ev("t1c", "csat.submitted", "2025-11-04T12:00:00Z",
               R"("ticket":{"id":"T1"},"csat":{"rating":"good"})"),
            Ev("t3", "ticket.created", "2025-11-10T15:00:00Z",
               R"("ticket":{"id":"T3","requester":"c1"})"),
            Ev("t2", "ticket.created", "2025-12-20T09:00:00Z",
               R"("ticket":{"id":"T2","requester":"c1"})"),
            Ev("t2c", "csat.submitted", "2025-12-20T10:00:00Z",
               R"("ticket":{"id":"T2"},"csat":{"rating":"bad"})"),
            Ev("t4", "ticket.created", "2025-10-01T09:00:00Z",
               R"("ticket":{"id":"T4","requester":"c1"})")});
  EXPECT_EQ(Rows("SELECT ticket_id, order_id, days_after_order FROM ticket_orders ORDER BY "
                 "ticket_id"),
            "T1 O1 3.042 | T2 O2 40 | T3 O2 0.25");  // T4 came before any order
  EXPECT_EQ(Rows("SELECT day, orders, tickets, tickets_within_7d_of_order, "
                 "contacts_per_100_orders FROM daily_contacts_per_order ORDER BY day"),
            "2025-11-01 1 0 0 0 | 2025-11-10 1 1 1 100");
  EXPECT_EQ(Rows("SELECT order_value_band, rated, csat_pct FROM csat_by_order_value ORDER BY 1, "
                 "2"),
            "2: 50-100 1 100 | 5: 500 and more 1 0");
}

TEST_P(WarehouseContract, ConsentRulesRemoveBodiesAndIdentifiersOfThoseWithoutIt) {
  auto policy = [&](const char* def) {
    Configure(std::string(R"(
[privacy.consent.analytics]
default = ")") +
              def + R"("
without = ["message_bodies", "identifiers"]
)");
  };
  policy("granted");
  EXPECT_EQ(*wh_->ApplyConsentPolicy({}), 0u);  // nothing stored yet
  auto person = [](const std::string& id, const std::string& consent) {
    return R"("customer":{"id":")" + id + R"(","email":")" + id + R"(@example.com","name":"N")" +
           consent + "}";
  };
  auto ticket = [&](const std::string& t, const std::string& who, const std::string& at) {
    return std::vector<std::string>{
        Ev(t + "c", "ticket.created", at,
           R"("ticket":{"id":")" + t + R"(","requester":")" + who + R"("})"),
        Ev(t + "m", "message.created", at,
           R"("ticket":{"id":")" + t + R"("},"message":{"author":")" + who +
               R"(","author_role":"customer","body":"my order"})")};
  };
  std::vector<std::string> batch = {
      Ev("p1", "customer.upserted", "2025-11-01T00:00:00Z",
         person("c1", R"(,"consent":{"analytics":true})")),
      Ev("p2", "customer.upserted", "2025-11-02T00:00:00Z",
         person("c2", R"(,"consent":{"analytics":{"granted":false,"at":"2025-11-02T00:00:00Z"}})")),
      Ev("p3", "customer.upserted", "2025-11-01T00:00:00Z", person("c3", ""))};
  for (const auto& [t, who] :
       std::vector<std::pair<std::string, std::string>>{{"T1", "c1"}, {"T2", "c2"}, {"T3", "c3"}}) {
    for (auto& e : ticket(t, who, "2025-11-03T10:00:00Z")) batch.push_back(e);
  }
  LoadJson(batch);
  auto body = [&](const std::string& t) {
    return Scalar("SELECT COALESCE(body, '-') FROM fact_message WHERE ticket_id = '" + t + "'");
  };
  auto email = [&](const std::string& c) {
    return Scalar("SELECT COALESCE(email, '-') FROM dim_customer WHERE customer_id = '" + c + "'");
  };
  EXPECT_EQ(body("T1") + body("T2") + body("T3"), "my order-my order");
  EXPECT_EQ(email("c1") + email("c2") + email("c3"), "c1@example.com-c3@example.com");
  EXPECT_EQ(*wh_->WithheldConsents("acme", "", "T2"), std::vector<std::string>{"analytics"});
  EXPECT_TRUE(wh_->WithheldConsents("acme", "c1", "")->empty());

  // An older grant arriving late changes nothing; c1 withdrawing clears stored rows at once.
  LoadJson({Ev("p2old", "customer.upserted", "2025-10-01T00:00:00Z",
               R"("customer":{"id":"c2","consent":{"analytics":true}})"),
            Ev("p1w", "customer.upserted", "2025-11-04T00:00:00Z",
               R"("customer":{"id":"c1","consent":{"analytics":false}})")});
  EXPECT_EQ(body("T1") + body("T2") + body("T3"), "--my order");
  EXPECT_EQ(email("c1"), "-");
  // A new message from a customer without consent never lands with its text.
  LoadJson({Ev(
      "T2m2", "message.created", "2025-11-05T10:00:00Z",
      R"("ticket":{"id":"T2"},"message":{"author":"c2","author_role":"customer","body":"again"})")});
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_message WHERE body IS NOT NULL AND ticket_id = 'T2'"),
            "0");

  // The rules change (withheld unless given): the background pass applies them once.
  policy("withheld");
  EXPECT_EQ(*wh_->ApplyConsentPolicy({}), 3u);
  EXPECT_EQ(*wh_->ApplyConsentPolicy({}), 0u);
  EXPECT_EQ(body("T3") + email("c3"), "--");
}

TEST_P(WarehouseContract, OnePersonAcrossSourcesMergesAndSplits) {
  Configure(R"(
[identity]
match_on = ["email", "phone", "external_id"]
default_country_code = "47"
)");
  auto profile = [](const std::string& source, const std::string& id, const std::string& at,
                    const std::string& fields) {
    return R"({"spec":"supportpipe/v1","source":")" + source + R"(","id":")" + source + id + at +
           R"(","type":"customer.upserted","occurred_at":")" + at + R"(","customer":{"id":")" + id +
           "\"" + fields + "}}";
  };
  auto person = [&](const std::string& source, const std::string& id) {
    return Scalar("SELECT person_key FROM person_link WHERE source = '" + source +
                  "' AND customer_id = '" + id + "'");
  };
  // Three systems, three records: the helpdesk knows an email, the shop a national phone
  // number, the CRM an external id.
  LoadJson({profile("zd", "r1", "2025-11-01T00:00:00Z", R"(,"email":"Ana@Example.com")"),
            profile("shop", "s1", "2025-11-01T00:00:01Z", R"(,"phone":"912 34 567")"),
            profile("crm", "k1", "2025-11-01T00:00:02Z", R"(,"external_id":"CRM-7")"),
            profile("zd", "r2", "2025-11-01T00:00:03Z", R"(,"email":"bob@example.com")")});
  EXPECT_NE(person("zd", "r1"), person("shop", "s1"));
  EXPECT_NE(person("zd", "r1"), person("zd", "r2"));
  const std::string ana = person("zd", "r1");
  // An Intercom contact carries the email, the phone in E.164 and the CRM id: one person.
  LoadJson(
      {profile("ic", "c1", "2025-11-02T00:00:00Z",
               R"(,"email":"ana@example.com","phone":"+47 912 34 567","external_id":"CRM-7")")});
  for (const auto& [source, id] : std::vector<std::pair<std::string, std::string>>{
           {"zd", "r1"}, {"shop", "s1"}, {"crm", "k1"}, {"ic", "c1"}}) {
    EXPECT_EQ(person(source, id), ana) << source << "/" << id;  // the oldest record's key
  }
  EXPECT_NE(person("zd", "r2"), ana);
  EXPECT_EQ(
      Scalar("SELECT records || ' ' || sources FROM dim_person WHERE person_key = '" + ana + "'"),
      "4 4");
  EXPECT_EQ(
      Rows("SELECT action, source, customer_id, matched_by FROM person_history WHERE "
           "to_person = '" +
           ana + "' ORDER BY id"),
      "link zd r1 itself | merge crm k1 external_id | link ic c1 email | merge shop s1 phone");
  // Tickets and orders of any of her records are hers, and meet in the views.
  LoadJson(
      {R"({"spec":"supportpipe/v1","source":"zd","id":"t1","type":"ticket.created","occurred_at":"2025-11-05T10:00:00Z","ticket":{"id":"T1","requester":"r1"}})",
       R"({"spec":"supportpipe/v1","source":"shop","id":"o1","type":"order.created","occurred_at":"2025-11-04T10:00:00Z","customer":{"id":"s1"},"order":{"id":"O1","amount":10,"currency":"EUR"}})"});
  EXPECT_EQ(Scalar("SELECT person_key FROM fact_ticket WHERE ticket_id = 'T1'"), ana);
  EXPECT_EQ(Rows("SELECT order_id, days_after_order FROM ticket_orders"), "O1 1");

  // The Intercom contact changes email, phone and id: it no longer links the others, so the
  // shop and CRM records split off (each its own person again), the helpdesk keeps hers.
  LoadJson({profile(
      "ic", "c1", "2025-11-06T00:00:00Z",
      R"(,"email":"other@example.com","phone":"+46 70 123 45 67","external_id":"CRM-9")")});
  EXPECT_EQ(person("zd", "r1"), ana);
  EXPECT_NE(person("ic", "c1"), ana);
  EXPECT_NE(person("shop", "s1"), ana);
  EXPECT_NE(person("crm", "k1"), ana);
  EXPECT_NE(person("shop", "s1"), person("crm", "k1"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM person_history WHERE action = 'split'"), "3");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM ticket_orders"), "0");  // her order is the shop's again
}

TEST_P(WarehouseContract, VerifiedEmailsOnlyLinkWhenBothAreVerified) {
  Configure("[identity]\nmatch_on = [\"verified_email\"]\n");
  auto profile = [](const std::string& source, const std::string& verified) {
    return R"({"spec":"supportpipe/v1","source":")" + source +
           R"(","id":"p","type":"customer.upserted","occurred_at":"2025-11-01T00:00:00Z","customer":{"id":"x","email":"ana@example.com")" +
           verified + "}}";
  };
  LoadJson({profile("a", R"(,"email_verified":true)"), profile("b", "")});
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT person_key) FROM person_link"), "2");
  LoadJson(
      {R"({"spec":"supportpipe/v1","source":"b","id":"p2","type":"customer.upserted","occurred_at":"2025-11-02T00:00:00Z","customer":{"id":"x","email_verified":true}})"});
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT person_key) FROM person_link"), "1");
}

TEST_P(WarehouseContract, LateEventsLandWhereTheyOccurred) {
  LoadJson(
      {Ev("e1", "ticket.created", "2025-11-01T10:00:00Z", R"("ticket":{"id":"T1","status":"new"})"),
       Ev("e3", "ticket.status_changed", "2025-11-01T12:00:00Z",
          R"("ticket":{"id":"T1"},"changes":{"status":{"to":"solved"}})")});
  // Arrives last, happened in between: must not reopen the solved ticket.
  LoadJson({Ev(
      "e2", "ticket.status_changed", "2025-11-01T11:00:00Z",
      R"("ticket":{"id":"T1"},"changes":{"status":{"to":"open"}},"ticket":{"id":"T1","assignee":"a9"})")});
  EXPECT_EQ(Scalar("SELECT status FROM fact_ticket"), "solved");
  EXPECT_EQ(Scalar("SELECT assignee_id FROM fact_ticket"), "a9");
  EXPECT_EQ(Scalar("SELECT event_count FROM fact_ticket"), "3");
  // An event before the creation makes created_at stay at the creation event.
  LoadJson({Ev("e0", "ticket.updated", "2025-11-01T09:00:00Z",
               R"("ticket":{"id":"T1","priority":"low"})")});
  EXPECT_EQ(Scalar("SELECT created_at FROM fact_ticket"), "2025-11-01T10:00:00.000000Z");
  EXPECT_EQ(Scalar("SELECT priority FROM fact_ticket"), "low");
}

TEST_P(WarehouseContract, HistoryIsTheTimelineInOrderWithTheRequestersTier) {
  LoadJson({Ev("p1", "customer.upserted", "2025-11-01T09:00:00Z",
               R"("customer":{"id":"c1","tier":"vip"})"),
            Ev("e2", "message.created", "2025-11-01T10:05:00Z",
               R"("ticket":{"id":"T1"},"message":{"author_role":"customer","body":"hi"})"),
            Ev("e1", "ticket.created", "2025-11-01T10:00:00Z",
               R"("ticket":{"id":"T1","status":"new","requester":"c1"})")});
  LoadJson({Ev("T1:sla:first_reply_time:1:breached", "sla.breached", "2025-11-01T11:00:00Z",
               R"("ticket":{"id":"T1"},"sla":{"policy":"p","metric":"first_reply_time",)"
               R"("instance":1,"target_s":60})"),
            Ev("e0", "ticket.updated", "2025-11-01T09:30:00Z",
               R"("ticket":{"id":"T1","priority":"low"})")});
  auto h = wh_->History("acme", "T1");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  std::string ids;
  for (const event::Event& e : h->events) ids += e.id + " ";
  EXPECT_EQ(ids, "e0 e1 e2 ");  // timeline order; derived events are not the ticket's history
  ASSERT_EQ(h->raw_offsets.size(), 3u);
  EXPECT_EQ(h->raw_offsets[0], 105u);
  EXPECT_EQ(h->customer_tier, "vip");
  EXPECT_EQ(h->events[1].ticket->requester, "c1");
  auto none = wh_->History("acme", "nope");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_FALSE(none->customer_tier);
}

TEST_P(WarehouseContract, RetentionClearsOldMessageBodiesAndKeepsTheRows) {
  LoadJson(
      {Ev("e1", "ticket.created", "2025-11-01T10:00:00Z",
          R"("ticket":{"id":"T1"},"message":{"id":"m1","author_role":"customer","body":"old words"})"),
       Ev("e2", "message.created", "2025-11-03T10:00:00Z",
          R"("ticket":{"id":"T1"},"message":{"id":"m2","author_role":"agent","body":"new words"})")});
  auto before = ParseRfc3339("2025-11-02T00:00:00Z");
  ASSERT_TRUE(before.ok());
  auto n = wh_->PurgeMessageBodies(*before);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_message"), "2");
  EXPECT_EQ(Scalar("SELECT COALESCE(body, '-') FROM fact_message WHERE message_id = 'm1'"), "-");
  EXPECT_EQ(Scalar("SELECT body FROM fact_message WHERE message_id = 'm2'"), "new words");
  EXPECT_EQ(Scalar("SELECT agent_replies FROM fact_ticket"), "1");  // metrics stay
  EXPECT_EQ(*wh_->PurgeMessageBodies(*before), 0);
}

TEST_P(WarehouseContract, SequenceBreaksTiesAtTheSameInstant) {
  LoadJson({Ev("b", "ticket.status_changed", "2025-11-01T10:00:00Z",
               R"("sequence":2,"ticket":{"id":"T1"},"changes":{"status":{"to":"solved"}})"),
            Ev("a", "ticket.status_changed", "2025-11-01T10:00:00Z",
               R"("sequence":1,"ticket":{"id":"T1"},"changes":{"status":{"to":"open"}})")});
  EXPECT_EQ(Scalar("SELECT status FROM fact_ticket"), "solved");
}

TEST_P(WarehouseContract, ReloadingABatchAtOrBelowThePositionChangesNothing) {
  const std::vector<std::string> batch = {
      Ev("e1", "ticket.created", "2025-11-01T10:00:00Z", R"("ticket":{"id":"T1"})")};
  LoadJson(batch);
  next_offset_ = 1;  // the same offsets again, as after a crash before the cursor moved
  auto s = LoadJson(batch);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "1");
  EXPECT_EQ(Scalar("SELECT event_count FROM fact_ticket"), "1");
  EXPECT_EQ(*wh_->Position("loader"), 1u);
  Reopen();
  EXPECT_EQ(*wh_->Position("loader"), 1u);
}

TEST_P(WarehouseContract, ReDerivedEventRewritesItsRowsWithoutDuplicating) {
  LoadJson({Ev("e1", "ticket.created", "2025-11-01T10:00:00Z",
               R"("ticket":{"id":"T1","priority":"low"})")});
  auto s = LoadJson({Ev("e1", "ticket.created", "2025-11-01T10:00:00Z",
                        R"("ticket":{"id":"T1","priority":"high"})")});
  EXPECT_EQ(s.replaced, 1u);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event"), "1");
  EXPECT_EQ(Scalar("SELECT priority || event_count FROM fact_ticket"), "high1");
}

TEST_P(WarehouseContract, OlderProfileNeverOverwritesNewer) {
  LoadJson({Ev("p2", "customer.upserted", "2025-11-02T00:00:00Z",
               R"("customer":{"id":"c1","tier":"vip"})"),
            Ev("p1", "customer.upserted", "2025-11-01T00:00:00Z",
               R"("customer":{"id":"c1","tier":"free","name":"Ana"})")});
  EXPECT_EQ(Scalar("SELECT tier FROM dim_customer"), "vip");
  // Within a batch facts fold oldest first: the newest non-null value of each field wins.
  EXPECT_EQ(Scalar("SELECT name || '/' || event_id || '/' || updated_at FROM dim_customer"),
            "Ana/p2/2025-11-02T00:00:00.000000Z");
  // A fact older than the stored profile, in a later batch, changes nothing.
  LoadJson({Ev("p0", "customer.upserted", "2025-10-01T00:00:00Z",
               R"("customer":{"id":"c1","tier":"trial"})")});
  EXPECT_EQ(Scalar("SELECT tier FROM dim_customer"), "vip");
}

TEST_P(WarehouseContract, QueryIsReadOnly) {
  EXPECT_EQ(wh_->Query("DELETE FROM fact_ticket", 10).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(wh_->Query("SELEKT 1", 10).status().code(), StatusCode::kInvalidArgument);
  auto r = wh_->Query("SELECT 1 AS one, 'x' AS two, NULL AS three, 2.5 AS four", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->columns, (std::vector<std::string>{"one", "two", "three", "four"}));
  EXPECT_EQ(r->rows[0][3].kind, Cell::Kind::kReal);
  auto many = wh_->Query(
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 50) SELECT x FROM n",
      10);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->rows.size(), 10u);
  EXPECT_TRUE(many->truncated);
}

}  // namespace supportpipe::warehouse

namespace supportpipe::warehouse {

TEST_P(WarehouseContract, TicketMetricsAreRecomputedWhateverTheArrivalOrder) {
  const std::string ticket = R"("ticket":{"id":"M1"})";
  const std::vector<std::string> events = {
      Ev("c", "ticket.created", "2026-11-30T09:00:00Z",
         R"("ticket":{"id":"M1","status":"new","assignee":"a1"},"message":{"author_role":"customer","public":true})"),
      Ev("r1", "message.created", "2026-11-30T09:30:00Z",
         ticket + R"(,"message":{"author_role":"agent","public":true})"),
      Ev("s1", "ticket.status_changed", "2026-11-30T09:30:00Z",
         ticket + R"(,"changes":{"status":{"to":"pending"}})"),
      Ev("n1", "message.created", "2026-11-30T09:40:00Z",
         ticket + R"(,"message":{"author_role":"agent","public":false})"),
      Ev("s2", "ticket.status_changed", "2026-11-30T10:30:00Z",
         ticket + R"(,"changes":{"status":{"to":"solved"}})"),
      Ev("k", "csat.submitted", "2026-11-30T11:00:00Z", ticket + R"(,"csat":{"rating":5})"),
  };
  // Newest first, in two batches.
  LoadJson({events[5], events[4], events[3]});
  LoadJson({events[2], events[1], events[0]});
  const std::string row =
      "SELECT first_reply_s || ' ' || first_resolution_s || ' ' || full_resolution_s || ' ' || "
      "agent_replies || ' ' || internal_notes || ' ' || customer_messages || ' ' || "
      "agent_work_s || ' ' || agent_wait_s || ' ' || requester_wait_s || ' ' || "
      "assignee_stations || ' ' || resolution_touches || ' ' || csat_rating || ' ' || "
      "csat_positive || ' ' || first_reply_at || ' ' || schedule FROM fact_ticket WHERE "
      "ticket_id = 'M1'";
  EXPECT_EQ(Scalar(row),
            "1800 5400 5400 1 1 1 1800 3600 1800 1 1 5 1 2026-11-30T09:30:00.000000Z always");
  EXPECT_EQ(Scalar("SELECT first_reply_business_s FROM fact_ticket WHERE ticket_id = 'M1'"),
            "1800");
  // A ticket without its creation has no metrics yet.
  LoadJson({Ev("x", "ticket.status_changed", "2026-11-30T09:00:00Z",
               R"("ticket":{"id":"M2"},"changes":{"status":{"to":"open"}})")});
  EXPECT_EQ(Rows("SELECT first_reply_s, reopens FROM fact_ticket WHERE ticket_id = 'M2'"),
            "NULL NULL");
}

// A recompute rewrites only what moved: a ticket that derives to its stored row and status
// changes keeps them (and their loaded_at); a schedule change rewrites the tickets it moves.
TEST_P(WarehouseContract, RecomputeRewritesOnlyTicketsWhoseDerivationMoved) {
  const std::string t = R"("ticket":{"id":"R1"})";
  LoadJson({Ev("r-c", "ticket.created", "2026-11-30T08:00:00Z", R"("ticket":{"id":"R1"})"),
            Ev("r-s", "ticket.status_changed", "2026-11-30T10:00:00Z",
               t + R"(,"changes":{"status":{"to":"solved"}})"),
            Ev("q-c", "ticket.created", "2026-11-30T08:00:00Z", R"("ticket":{"id":"Q1"})")});
  const std::string row =
      "SELECT ticket_id, loaded_at, schedule, first_resolution_business_s FROM fact_ticket "
      "ORDER BY ticket_id";
  const std::string before = Rows(row);
  EXPECT_EQ(before,
            "Q1 2025-11-30T09:15:02.000000Z always NULL | R1 2025-11-30T09:15:02.000000Z always "
            "7200");
  clock_.Advance(3600LL * 1000000);
  auto n = wh_->RecomputeAll(nullptr);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Rows(row), before);

  Configure(R"(
[reporting]
default_schedule = "office"
[[schedule]]
name = "office"
time_zone = "UTC"
hours = ["mon-fri 09:00-17:00"]
)");
  ASSERT_TRUE(wh_->RecomputeAll(nullptr).ok());
  // 2026-11-30 is a Monday: 08:00 to 10:00 holds one office hour.
  EXPECT_EQ(Rows(row),
            "Q1 2025-11-30T10:15:02.000000Z office NULL | R1 2025-11-30T10:15:02.000000Z office "
            "3600");
  EXPECT_EQ(Rows("SELECT ticket_id, n, to_status FROM fact_status_change ORDER BY ticket_id, n"),
            "R1 1 solved");
}

// An erasure rewrites ticket rows outside the derivation: the next recompute must write them
// again (their digest was cleared) and keep what the erasure made of them.
TEST_P(WarehouseContract, ErasureSurvivesARecompute) {
  LoadJson({Ev("e-c", "ticket.created", "2026-11-30T08:00:00Z",
               R"("ticket":{"id":"E1","requester":"c-7","subject":"My address is ..."})"),
            Ev("e-u", "ticket.updated", "2026-11-30T09:00:00Z",
               R"("ticket":{"id":"E1","requester":"c-7"},"changes":{"priority":{"to":"high"}})")});
  auto erased = wh_->Erase({.customers = {{"acme", "c-7"}}, .replacement = "erased:er_1"});
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  const std::string row =
      "SELECT requester_id, subject, priority, derived_digest IS NULL FROM fact_ticket";
  EXPECT_EQ(Rows(row), "erased:er_1 NULL high 1");
  ASSERT_TRUE(wh_->RecomputeAll(nullptr).ok());
  EXPECT_EQ(Rows(row), "erased:er_1 NULL high 0");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM fact_ticket_event WHERE ticket LIKE '%c-7%' OR ticket "
                   "LIKE '%address%'"),
            "0");
}

}  // namespace supportpipe::warehouse

namespace supportpipe::warehouse {

TEST_P(WarehouseContract, DailyViewsCountCreationsSolvesReopensAndBacklog) {
  auto change = [](const std::string& id, const std::string& ticket, const std::string& at,
                   const std::string& to) {
    return Ev(id, "ticket.status_changed", at,
              R"("ticket":{"id":")" + ticket + R"("},"changes":{"status":{"to":")" + to + "\"}}");
  };
  LoadJson({Ev("a", "ticket.created", "2026-11-30T09:00:00Z",
               R"("ticket":{"id":"A","channel":"email"})"),
            change("a1", "A", "2026-12-01T10:00:00Z", "solved"),
            change("a2", "A", "2026-12-02T08:00:00Z", "open"),
            change("a3", "A", "2026-12-02T09:00:00Z", "solved"),
            Ev("b", "ticket.created", "2026-12-01T23:30:00Z",
               R"("ticket":{"id":"B","channel":"email"})")});
  EXPECT_EQ(Rows("SELECT day, SUM(created) FROM daily_created GROUP BY day ORDER BY day"),
            "2026-11-30 1 | 2026-12-01 1");
  EXPECT_EQ(Rows("SELECT day, SUM(solved), SUM(reopened) FROM daily_solved GROUP BY day "
                 "ORDER BY day"),
            "2026-12-01 1 0 | 2026-12-02 1 1");
  EXPECT_EQ(Rows("SELECT day, SUM(backlog) FROM daily_backlog WHERE day <= '2026-12-02' "
                 "GROUP BY day ORDER BY day"),
            "2026-11-30 1 | 2026-12-01 1 | 2026-12-02 1");
}

}  // namespace supportpipe::warehouse

namespace supportpipe::warehouse {

TEST_P(WarehouseContract, SlaRowsFollowTheTierRuleAndFeedTheViews) {
  Configure(R"(
[[sla_policy]]
name = "vip"
when = { customer_tier = ["vip"] }
[sla_policy.targets]
first_reply_time = { normal = 10 }

[[sla_policy]]
name = "std"
[sla_policy.targets]
first_reply_time = { normal = 60 }
)");
  clock_.Set(1796029200LL * 1000000 + 3600LL * 24 * 1000000);  // a day after 2026-11-30 09:00
  const std::string created =
      R"("ticket":{"id":"S1","status":"open","priority":"normal","requester":"u1","channel":"email"},)"
      R"("message":{"author_role":"customer","public":true})";
  // The requester was "vip" before the ticket, "gold" after: the earlier tier applies.
  LoadJson({Ev("u-old", "customer.upserted", "2026-11-29T09:00:00Z",
               R"("customer":{"id":"u1","tier":"vip"})"),
            Ev("c1", "ticket.created", "2026-11-30T09:00:00Z", created),
            Ev("r1", "message.created", "2026-11-30T09:30:00Z",
               R"("ticket":{"id":"S1"},"message":{"author_role":"agent","public":true})"),
            Ev("u-new", "customer.upserted", "2026-11-30T12:00:00Z",
               R"("customer":{"id":"u1","tier":"gold"})")});
  EXPECT_EQ(Scalar("SELECT policy || ' ' || status || ' ' || target_s || ' ' || breached_at || "
                   "' ' || elapsed_s FROM fact_sla WHERE ticket_id = 'S1'"),
            "vip breached 600 2026-11-30T09:10:00.000000Z 1800");
  EXPECT_EQ(Scalar("SELECT customer_tier || ' ' || sla_breaches FROM fact_ticket WHERE "
                   "ticket_id = 'S1'"),
            "vip 1");
  // A late profile from before the creation changes the tier, and the ticket is
  // re-derived though none of its own events arrived.
  LoadJson({Ev("u-mid", "customer.upserted", "2026-11-30T08:00:00Z",
               R"("customer":{"id":"u1","tier":"gold"})")});
  EXPECT_EQ(Scalar("SELECT policy || ' ' || status || ' ' || fulfilled_at FROM fact_sla WHERE "
                   "ticket_id = 'S1'"),
            "std fulfilled 2026-11-30T09:30:00.000000Z");
  EXPECT_EQ(Rows("SELECT day, fulfilled, breached, attainment_pct FROM daily_sla"),
            "2026-11-30 1 0 100");
  EXPECT_EQ(Scalar("SELECT tickets || ' ' || p50_s || ' ' || p90_s FROM daily_durations WHERE "
                   "metric = 'first_reply'"),
            "1 1800 1800");
  // The clock's view of the rows.
  auto rows = wh_->SlaOf("acme", "S1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].sla.status, "fulfilled");
  auto changed = wh_->SlaChangedAfter(0);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_TRUE(wh_->SlaChangedAfter((*changed)[0].change_seq)->empty());
  EXPECT_TRUE(wh_->ActiveSla()->empty());
}

}  // namespace supportpipe::warehouse

namespace supportpipe::warehouse {

// Random but plausible histories: a customer writes, agents answer, statuses and priorities
// move; the warehouse, fed them shuffled, repeated and in several batches, must agree with
// the engine run on the history in order.
TEST_P(WarehouseContract, ShuffledRepeatedBatchesGiveTheEngineResultForEveryTicket) {
  Configure(R"(
[reporting]
default_schedule = "office"
[[schedule]]
name = "office"
time_zone = "Europe/Berlin"
hours = ["mon-fri 09:00-17:00"]
holidays = ["2026-12-01"]
[[sla_policy]]
name = "urgent"
when = { priority = ["urgent"] }
[sla_policy.targets]
first_reply_time = { urgent = 30 }
next_reply_time = { urgent = 60 }
total_resolution_time = { urgent = 240 }
[[sla_policy]]
name = "office"
business_hours = true
[sla_policy.targets]
first_reply_time = { normal = 120, high = 60 }
next_reply_time = { normal = 240, high = 120 }
requester_wait_time = { normal = 480, high = 240 }
agent_work_time = { normal = 300, high = 200 }
total_resolution_time = { normal = 960, high = 600 }
)");
  const TimeMicros t0 = 1796029200LL * 1000000;  // Mon 2026-11-30 09:00Z
  clock_.Set(t0 + 10LL * 24 * 3600 * 1000000);
  std::mt19937_64 rng(9);
  std::vector<std::vector<event::Event>> tickets;
  const char* kPriorities[] = {"normal", "high", "urgent"};
  const char* kStatuses[] = {"open", "pending", "hold", "solved", "open"};
  for (int k = 0; k < 60; ++k) {
    std::vector<event::Event> h;
    const std::string id = "P" + std::to_string(k);
    TimeMicros at = t0 + static_cast<TimeMicros>(rng() % (3 * 24 * 60)) * 60 * 1000000;
    auto add = [&](const char* type) -> event::Event& {
      event::Event e;
      e.id = id + "-" + std::to_string(h.size());
      e.type = type;
      e.source = "acme";
      e.occurred_at = at;
      e.ticket.emplace().id = id;
      h.push_back(std::move(e));
      return h.back();
    };
    auto& c = add("ticket.created");
    c.ticket->status = "open";
    c.ticket->priority = kPriorities[rng() % 3];
    auto& m = c.message.emplace();
    m.author_role = rng() % 5 ? "customer" : "agent";
    m.is_public = true;
    const int n = 3 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      at += static_cast<TimeMicros>(rng() % 600) * 60 * 1000000;
      switch (rng() % 4) {
        case 0:
        case 1: {
          auto& msg = add("message.created").message.emplace();
          msg.author_role = rng() % 2 ? "agent" : "customer";
          msg.is_public = rng() % 6 != 0;
          break;
        }
        case 2: {
          event::Change ch;
          ch.field = "status";
          ch.to_text = kStatuses[rng() % 5];
          ch.to_json = "\"" + *ch.to_text + "\"";
          add("ticket.status_changed").changes.push_back(ch);
          break;
        }
        default: {
          event::Change ch;
          ch.field = "priority";
          ch.to_text = kPriorities[rng() % 3];
          ch.to_json = "\"" + *ch.to_text + "\"";
          add("ticket.priority_changed").changes.push_back(ch);
          break;
        }
      }
    }
    tickets.push_back(std::move(h));
  }
  std::vector<event::Event> delivered;
  for (const auto& h : tickets) {
    for (const auto& e : h) {
      delivered.push_back(e);
      if (rng() % 8 == 0) delivered.push_back(e);  // a retry
    }
  }
  std::shuffle(delivered.begin(), delivered.end(), rng);
  const size_t third = delivered.size() / 3;
  LoadEvents({delivered.begin(), delivered.begin() + third});
  LoadEvents({delivered.begin() + third, delivered.begin() + 2 * third});
  LoadEvents({delivered.begin() + 2 * third, delivered.end()});

  auto text = [](const support::SlaInstance& i) {
    auto t = [](const std::optional<TimeMicros>& v) {
      return v ? FormatRfc3339(*v) : std::string("-");
    };
    return i.policy + " " + i.metric + "#" + std::to_string(i.instance) + " " + i.status + " " +
           std::to_string(i.target_s) + " " + FormatRfc3339(i.applied_at) + " " + t(i.due_at) +
           " " + t(i.fulfilled_at) + " " + t(i.breached_at) + " " + t(i.warning_at);
  };
  for (const auto& h : tickets) {
    const std::string& id = h.front().ticket->id;
    const support::Schedule& schedule = policies_->For(h.front().ticket);
    std::multiset<std::string> want, got;
    for (const auto& i :
         support::ComputeSla(h, policies_->sla(), schedule, std::nullopt, clock_.Now())) {
      want.insert(text(i));
    }
    auto rows = wh_->SlaOf("acme", id);
    ASSERT_TRUE(rows.ok());
    for (const auto& r : *rows) got.insert(text(r.sla));
    EXPECT_EQ(got, want) << id;
    const auto m = support::ComputeTicketMetrics(h, schedule);
    ASSERT_TRUE(m.has_value());
    auto opt = [](const std::optional<support::Duration>& d) {
      return d ? std::to_string(d->s) + "/" + std::to_string(d->business_s) : std::string("");
    };
    EXPECT_EQ(Scalar("SELECT COALESCE(first_reply_s || '/' || first_reply_business_s, '') || ' ' "
                     "|| COALESCE(full_resolution_s || '/' || full_resolution_business_s, '') "
                     "|| ' ' || requester_wait_business_s FROM fact_ticket WHERE ticket_id = '" +
                     id + "'"),
              opt(m->first_reply) + " " + opt(m->full_resolution) + " " +
                  std::to_string(m->requester_wait.business_s))
        << id;
  }
}

}  // namespace supportpipe::warehouse
