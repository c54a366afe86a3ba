// Rules ([[rule]], docs/rules.md): the enrichment and routing layer. Each incoming ticket
// event is judged by every rule in order; a rule whose conditions all hold acts on the
// ticket: adds tags, sets the priority, routes to a group, or escalates. Later rules see
// the actions of earlier ones, so a rule can build on another's tag or priority.
//
//   ASSIGN_OR_RETURN(Rules rules, Rules::Compile(config));
//   warehouse::TicketState ticket = ...;   // the ticket after `e`
//   for (const RuleAction& a : rules.Judge(e, ticket, tier)) { ... }
//
// Patterns are RE2: linear time on any input, so untrusted message text cannot stall us.
// Thread-safety: a compiled Rules is immutable; Judge may run on several threads.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "event/event.h"
#include "warehouse/ticket_state.h"

namespace supportpipe::triggers {

// What one rule did to one ticket for one event: only what changed something.
struct RuleAction {
  const RuleConfig* rule = nullptr;
  int index = 0;  // the rule's place in the config, from 0
  std::optional<std::vector<std::string>> tags_from, tags_to;
  std::optional<std::string> priority_from, priority_to;
  bool set_priority = false;
  std::optional<std::string> group_from, group_to;
  bool route_group = false;
  bool escalate = false;
};

class Rules {
 public:
  // InvalidArgument naming file:line and the key for a pattern RE2 does not accept.
  static Result<Rules> Compile(const Config& config);

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

  // Whether some rule could hold for `e` judging by the event alone (type, source, author,
  // body), so that the ticket's state need not be read when none can.
  bool MayMatch(const event::Event& e) const;

  // Judges `e` by every rule in order. `ticket` is the ticket's state after `e`; each action
  // is applied to it before the next rule is judged (so on return it holds them all).
  // `tier` is the ticket's customer tier, if known.
  std::vector<RuleAction> Judge(const event::Event& e, warehouse::TicketState& ticket,
                                const std::optional<std::string>& tier) const;

 private:
  struct Compiled {
    const RuleConfig* config;
    std::unique_ptr<RE2> body, subject;
  };
  bool EventMatches(const Compiled& r, const event::Event& e) const;
  static bool TicketMatches(const RuleConfig& r, const warehouse::TicketState& t,
                            const std::optional<std::string>& tier);

  std::vector<Compiled> rules_;
};

}  // namespace supportpipe::triggers
