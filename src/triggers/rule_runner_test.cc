#include "triggers/rule_runner.h"

#include <gtest/gtest.h>

#include "common/test_dir.h"
#include "event/codec.h"
#include "log/sqlite/sqlite_event_log.h"
#include "pipeline/loader.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace supportpipe::triggers {
namespace {

constexpr TimeMicros kT0 = 1796029200LL * 1000000;  // Mon 2026-11-30 09:00:00Z
constexpr TimeMicros Min(int64_t m) { return kT0 + m * 60 * 1000000; }

constexpr const char* kConfig = R"(
[[rule]]
name = "refund-intent"
when = { type = ["ticket.created", "message.created"], body_matches = "(?i)refund|chargeback" }
then = { add_tags = ["refund"], set_priority = "high", route_group = "billing" }

[[rule]]
name = "vip-urgent-escalation"
when = { priority = ["high", "urgent"], customer_tier = ["vip"] }
then = { emit = "ticket.escalated" }
)";

class RuleRunnerTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = std::move(ParseConfig(kConfig, "test.toml")).value();
    rules_ = std::move(Rules::Compile(config_)).value();
    log_ = std::move(log::OpenSqliteEventLog(dir_.path())).value();
    wh_ = std::move(warehouse::OpenSqliteWarehouse(dir_.path() + "/warehouse.db", clock_, {}))
              .value();
    runner_ = std::make_unique<RuleRunner>(*log_, *wh_, rules_, clock_, metrics_);
  }

  void Append(event::Event e) {
    e.source = "acme";
    log::EventRecord r{0,      "acme",        e.id,   std::string(e.TicketId()),
                       e.type, e.occurred_at, ++raw_, event::EncodeEvent(e)};
    std::vector<log::AppendResult> res;
    ASSERT_TRUE(log_->AppendEvents(std::vector<log::EventRecord>{r}, &res).ok());
  }

  void Created(const std::string& ticket, TimeMicros at, const std::string& requester,
               const std::string& body = "Hello") {
    event::Event e;
    e.id = "c-" + ticket;
    e.type = "ticket.created";
    e.occurred_at = at;
    auto& t = e.ticket.emplace();
    t.id = ticket;
    t.status = "new";
    t.priority = "normal";
    t.requester = requester;
    t.tags = std::vector<std::string>{"web"};
    auto& m = e.message.emplace();
    m.body = body;
    m.author_role = "customer";
    Append(std::move(e));
  }

  void Message(const std::string& id, const std::string& ticket, TimeMicros at,
               const std::string& body) {
    event::Event e;
    e.id = id;
    e.type = "message.created";
    e.occurred_at = at;
    e.ticket.emplace().id = ticket;
    auto& m = e.message.emplace();
    m.body = body;
    m.author_role = "customer";
    Append(std::move(e));
  }

  void Customer(const std::string& id, const std::string& tier) {
    event::Event e;
    e.id = "cust-" + id;
    e.type = "customer.upserted";
    e.occurred_at = kT0 - 1000000;
    e.customer = event::Customer{.id = id, .tier = tier};
    Append(std::move(e));
  }

  // Loads and judges until neither has anything left; the rule events appended.
  size_t Drain() {
    pipeline::Loader loader(*log_, *wh_, clock_, metrics_);
    size_t appended = 0;
    for (int i = 0; i < 100; ++i) {
      auto loaded = loader.Step();
      EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
      auto r = runner_->Step();
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!loaded.ok() || !r.ok()) break;
      appended += r->appended;
      if (*loaded == 0 && r->read == 0) break;
    }
    return appended;
  }

  // "priority|group|tags" of a ticket in fact_ticket.
  std::string Ticket(const std::string& id) {
    auto r = wh_->Query(
        "SELECT priority, group_name, tags FROM fact_ticket WHERE ticket_id = '" + id + "'", 10);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->rows.empty()) return "none";
    std::string out;
    for (const warehouse::Cell& c : r->rows[0]) out += (out.empty() ? "" : "|") + c.s;
    return out;
  }

  // "id" of every event with raw_offset 0 (made by supportpipe), in log order.
  std::string Made() {
    std::string out;
    auto events = log_->ReadEvents(0, 10000);
    EXPECT_TRUE(events.ok());
    for (const auto& r : *events) {
      if (r.raw_offset == 0) out += (out.empty() ? "" : " ") + r.event_id;
    }
    return out;
  }

  TestDir dir_;
  FakeClock clock_{Min(30)};
  observe::Registry metrics_;
  Config config_;
  Rules rules_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> wh_;
  std::unique_ptr<RuleRunner> runner_;
  log::Offset raw_ = 0;
};

TEST_F(RuleRunnerTest, IncomingWorkArrivesTaggedRoutedAndEscalatedOnce) {
  Customer("alice", "vip");
  Created("T1", Min(0), "alice", "I was charged twice, I want a refund");
  Message("m1", "T1", Min(5), "Refund please, or I file a chargeback");
  Created("T2", Min(1), "bob", "How do I export my data?");
  EXPECT_EQ(Drain(), 2u);
  // The creation's rule action, and one escalation (the second message changes nothing and
  // escalates the same ticket by the same rule again: kept once).
  EXPECT_EQ(Made(), "c-T1:rule:001:refund-intent T1:escalated:vip-urgent-escalation");
  EXPECT_EQ(Ticket("T1"), R"(high|billing|["web","refund"])");
  EXPECT_EQ(Ticket("T2"), R"(normal||["web"])");

  // The warehouse shows what the rule did and why.
  auto r = wh_->Query(
      "SELECT type, json_extract(attributes, '$.rule'), json_extract(attributes, "
      "'$.rule_trigger'), occurred_at FROM fact_ticket_event WHERE raw_offset = 0 ORDER BY "
      "event_id",
      10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0][0].s, "ticket.escalated");
  EXPECT_EQ(r->rows[0][1].s, "vip-urgent-escalation");
  EXPECT_EQ(r->rows[1][0].s, "ticket.updated");
  EXPECT_EQ(r->rows[1][1].s, "refund-intent");
  EXPECT_EQ(r->rows[1][2].s, "c-T1");
  EXPECT_EQ(r->rows[1][3].s, FormatRfc3339(Min(0)));  // at its trigger's instant

  // The escalation carries the ticket as the rules left it, and the customer's tier.
  auto events = log_->ReadEvents(0, 100);
  ASSERT_TRUE(events.ok());
  for (const auto& rec : *events) {
    if (rec.type != "ticket.escalated") continue;
    auto e = event::DecodeCanonical(rec.payload, {.trusted = true});
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(*e->ticket->priority, "high");
    EXPECT_EQ(*e->ticket->group, "billing");
    EXPECT_EQ(*e->customer->tier, "vip");
    EXPECT_EQ(e->received_at, Min(30));
  }
  EXPECT_EQ(metrics_.Render().find("supportpipe_rule_events_total{rule=\"refund-intent\","
                                   "type=\"ticket.updated\"} 1") != std::string::npos,
            true)
      << metrics_.Render();
}

TEST_F(RuleRunnerTest, AHelpdeskSnapshotThatHasNotSeenTheRuleDoesNotUndoIt) {
  Created("T1", Min(0), "bob", "refund");
  Drain();
  ASSERT_EQ(Ticket("T1"), R"(high|billing|["web","refund"])");
  // The helpdesk's next webhook still shows its own values: the rule's stay.
  event::Event snap;
  snap.id = "u1";
  snap.type = "ticket.updated";
  snap.occurred_at = Min(10);
  auto& t = snap.ticket.emplace();
  t.id = "T1";
  t.priority = "normal";
  t.tags = std::vector<std::string>{"web", "billing-q"};
  Append(snap);
  Drain();
  EXPECT_EQ(Ticket("T1"), R"(high|billing|["web","billing-q","refund"])");
  // An explicit change by an agent wins, and the removal of the rule's tag too.
  event::Event change;
  change.id = "u2";
  change.type = "ticket.updated";
  change.occurred_at = Min(20);
  change.ticket.emplace().id = "T1";
  event::Change& p = change.changes.emplace_back();
  p.field = "priority";
  p.from_json = R"("high")";
  p.to_json = R"("low")";
  p.to_text = "low";
  event::Change& g = change.changes.emplace_back();
  g.field = "tags";
  g.from_json = R"(["web","billing-q","refund"])";
  g.to_json = R"(["web"])";
  g.to_list = std::vector<std::string>{"web"};
  Append(change);
  Drain();
  EXPECT_EQ(Ticket("T1"), R"(low|billing|["web"])");
}

TEST_F(RuleRunnerTest, TheNextEventOfATicketSeesTheRulesChange) {
  // Both events in one batch: the message is judged only once the creation's action is
  // loaded, so it finds the ticket tagged and high and records nothing more.
  Created("T1", Min(0), "bob", "refund");
  Message("m1", "T1", Min(1), "refund!!");
  Message("m2", "T1", Min(2), "chargeback");
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(Made(), "c-T1:rule:001:refund-intent");
}

TEST_F(RuleRunnerTest, ARestartOrARerunRecordsNothingTwice) {
  Customer("alice", "vip");
  Created("T1", Min(0), "alice", "refund");
  EXPECT_EQ(Drain(), 2u);
  // A crash before the position was committed: the batch is judged again.
  ASSERT_TRUE(log_->CommitCursor(kRulesConsumer, 0, /*allow_rewind=*/true).ok());
  runner_ = std::make_unique<RuleRunner>(*log_, *wh_, rules_, clock_, metrics_);
  EXPECT_EQ(Drain(), 0u);
  EXPECT_EQ(Made(), "c-T1:rule:001:refund-intent T1:escalated:vip-urgent-escalation");
  EXPECT_EQ(Ticket("T1"), R"(high|billing|["web","refund"])");
}

TEST_F(RuleRunnerTest, RulesApplyToWhatArrivesAfterTheyAreConfigured) {
  Created("T1", Min(0), "bob", "refund");
  Config none;
  Rules empty = std::move(Rules::Compile(none)).value();
  runner_ = std::make_unique<RuleRunner>(*log_, *wh_, empty, clock_, metrics_);
  Drain();
  runner_ = std::make_unique<RuleRunner>(*log_, *wh_, rules_, clock_, metrics_);
  Created("T2", Min(1), "bob", "refund");
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(Made(), "c-T2:rule:001:refund-intent");
  EXPECT_EQ(Ticket("T1"), R"(normal||["web"])");
}

}  // namespace
}  // namespace supportpipe::triggers
