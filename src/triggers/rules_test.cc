#include "triggers/rules.h"

#include <gtest/gtest.h>

#include <chrono>

namespace supportpipe::triggers {
namespace {

constexpr const char* kConfig = R"(
[[rule]]
name = "refund-intent"
when = { type = ["ticket.created", "message.created"], author_role = ["customer"], body_matches = "(?i)refund|chargeback" }
then = { add_tags = ["refund"], set_priority = "high", route_group = "billing" }

[[rule]]
name = "refund-review"
when = { tags_all = ["refund"], priority = ["high", "urgent"], tags_none = ["reviewed"] }
then = { add_tags = ["finance-review"] }

[[rule]]
name = "vip-escalation"
when = { priority = ["high", "urgent"], customer_tier = ["vip"] }
then = { emit = "ticket.escalated" }

[[rule]]
name = "outage-subject"
when = { subject_matches = "(?i)\\bdown\\b|outage", channel = ["email"] }
then = { set_priority = "urgent" }
)";

class RulesTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = std::move(ParseConfig(kConfig, "rules.toml")).value();
    rules_ = std::move(Rules::Compile(config_)).value();
    ticket_.source = "acme";
    ticket_.ticket_id = "T1";
    ticket_.priority = "normal";
    ticket_.channel = "chat";
    ticket_.tags = std::vector<std::string>{"web"};
  }

  static event::Event Message(const std::string& body, const std::string& role = "customer") {
    event::Event e;
    e.id = "m1";
    e.type = "message.created";
    e.source = "acme";
    e.ticket.emplace().id = "T1";
    auto& m = e.message.emplace();
    m.body = body;
    m.author_role = role;
    return e;
  }

  // "rule:what,..." for the actions on `e`.
  std::string Judge(const event::Event& e, const std::optional<std::string>& tier = {}) {
    std::string out;
    for (const RuleAction& a : rules_.Judge(e, ticket_, tier)) {
      if (!out.empty()) out += " ";
      out += a.rule->name + ":";
      if (a.tags_to) out += "tags" + std::to_string(a.tags_to->size());
      if (a.set_priority) out += "priority=" + *a.priority_to;
      if (a.route_group) out += "group=" + *a.group_to;
      if (a.escalate) out += "escalate";
    }
    return out;
  }

  Config config_;
  Rules rules_;
  warehouse::TicketState ticket_;
};

TEST_F(RulesTest, ActsInOrderAndLaterRulesSeeEarlierActions) {
  EXPECT_TRUE(rules_.MayMatch(Message("I want a REFUND now")));
  EXPECT_EQ(Judge(Message("I want a REFUND now"), "vip"),
            "refund-intent:tags2priority=highgroup=billing refund-review:tags3 "
            "vip-escalation:escalate");
  EXPECT_EQ(*ticket_.priority, "high");
  EXPECT_EQ(*ticket_.group, "billing");
  EXPECT_EQ(*ticket_.tags, (std::vector<std::string>{"web", "refund", "finance-review"}));
}

TEST_F(RulesTest, AnActionThatChangesNothingIsNotTaken) {
  Judge(Message("refund please"));
  // The same words again: the ticket is tagged, high and in billing already.
  EXPECT_EQ(Judge(Message("still waiting for my refund")), "");
  // An escalation is an event, not a change: it is taken every time (the log keeps one).
  EXPECT_EQ(Judge(Message("hello"), "vip"), "vip-escalation:escalate");
}

TEST_F(RulesTest, EventConditions) {
  EXPECT_EQ(Judge(Message("refund", "agent")), "");  // author_role
  EXPECT_EQ(Judge(Message("re fund")), "");
  event::Event note = Message("refund");
  note.type = "ticket.updated";  // type
  EXPECT_EQ(Judge(note), "");
  event::Event no_body = Message("");
  no_body.message->body.reset();
  EXPECT_EQ(Judge(no_body), "");
}

TEST_F(RulesTest, TicketConditions) {
  // tags_none: a reviewed ticket is left alone by refund-review.
  ticket_.tags = std::vector<std::string>{"reviewed"};
  EXPECT_EQ(Judge(Message("refund")), "refund-intent:tags2priority=highgroup=billing");
  // customer_tier: no tier known, no escalation.
  EXPECT_EQ(Judge(Message("hi")), "");
  EXPECT_EQ(Judge(Message("hi"), "standard"), "");
  // subject_matches and channel, on the ticket's state.
  ticket_.subject = "Checkout is DOWN for everyone";
  EXPECT_EQ(Judge(Message("hi")), "");  // channel chat
  ticket_.channel = "email";
  EXPECT_EQ(Judge(Message("hi")), "outage-subject:priority=urgent");
  ticket_.subject = "Downloads are slow";  // \bdown\b does not match "Downloads"
  ticket_.priority = "normal";
  EXPECT_EQ(Judge(Message("hi")), "");
}

TEST_F(RulesTest, PatternsRunInLinearTime) {
  // (a+)+$ on "aaa...ab" takes exponential time with a backtracking engine.
  Config c = std::move(ParseConfig(R"(
[[rule]]
name = "evil"
when = { body_matches = "(a+)+$" }
then = { add_tags = ["x"] }
)",
                                   "evil.toml"))
                 .value();
  Rules rules = std::move(Rules::Compile(c)).value();
  EXPECT_FALSE(rules.MayMatch(Message("bbb")));  // only event conditions: no state read
  EXPECT_TRUE(rules.MayMatch(Message("bbba")));
  event::Event e = Message(std::string(200000, 'a') + "b");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(rules.Judge(e, ticket_, std::nullopt).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(RulesConfigTest, ErrorsNameTheRuleAndKey) {
  auto bad_re = ParseConfig(R"(
[[rule]]
name = "r"
when = { body_matches = "(unclosed" }
then = { add_tags = ["x"] }
)",
                            "c.toml");
  ASSERT_TRUE(bad_re.ok());
  Status st = Rules::Compile(*bad_re).status();
  EXPECT_EQ(st.field(), "c.toml:2: rule[0].when.body_matches");
  EXPECT_NE(st.message().find("missing )"), std::string::npos) << st.message();

  const std::pair<const char*, const char*> cases[] = {
      {"name = \"r\"\nthen = { add_tags = [\"x\"] }", "rule[0].when"},
      {"name = \"r\"\nwhen = { type = [\"ticket.created\"] }", "rule[0].then"},
      {"name = \"r\"\nwhen = { type = [\"ticket.created\"] }\nthen = {}", "rule[0].then"},
      {"name = \"r\"\nwhen = { prio = [\"high\"] }\nthen = { add_tags = [\"x\"] }",
       "rule[0].when.prio"},
      {"name = \"r\"\nwhen = { priority = [\"p1\"] }\nthen = { add_tags = [\"x\"] }",
       "rule[0].when.priority"},
      {"name = \"r\"\nwhen = { tags_any = [] }\nthen = { add_tags = [\"x\"] }",
       "rule[0].when.tags_any"},
      {"name = \"r\"\nwhen = { type = [\"ticket.created\"] }\nthen = { emit = \"sla.breached\" }",
       "rule[0].then.emit"},
      {"name = \"r\"\nwhen = { type = [\"ticket.created\"] }\nthen = { set_priority = \"p1\" }",
       "rule[0].then.set_priority"},
      {"when = { type = [\"ticket.created\"] }\nthen = { add_tags = [\"x\"] }", "rule[0].name"},
  };
  for (const auto& [body, key] : cases) {
    auto c = ParseConfig(std::string("[[rule]]\n") + body + "\n", "c.toml");
    ASSERT_FALSE(c.ok()) << body;
    EXPECT_NE(c.status().field().find(key), std::string::npos)
        << body << " -> " << c.status().ToString();
  }
  auto twice = ParseConfig(
      "[[rule]]\nname = \"r\"\nwhen = { type = [\"ticket.created\"] }\nthen = { add_tags = "
      "[\"x\"] }\n[[rule]]\nname = \"r\"\nwhen = { type = [\"ticket.created\"] }\nthen = { "
      "add_tags = [\"y\"] }\n",
      "c.toml");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("declared twice"), std::string::npos);
}

}  // namespace
}  // namespace supportpipe::triggers
