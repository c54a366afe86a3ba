#include "triggers/rules.h"

#include <fmt/format.h>

#include <algorithm>

namespace supportpipe::triggers {
namespace {

bool In(const std::vector<std::string>& allowed, const std::optional<std::string>& v) {
  return allowed.empty() || (v && std::find(allowed.begin(), allowed.end(), *v) != allowed.end());
}

bool Has(const std::optional<std::vector<std::string>>& tags, const std::string& t) {
  return tags && std::find(tags->begin(), tags->end(), t) != tags->end();
}

Result<std::unique_ptr<RE2>> Pattern(const Config& config, const RuleConfig& r, int index,
                                     std::string_view key, const std::string& pattern) {
  if (pattern.empty()) return std::unique_ptr<RE2>();
  RE2::Options opt;
  opt.set_log_errors(false);
  opt.set_max_mem(8 << 20);  // bounds the automaton a hostile pattern could build
  auto re = std::make_unique<RE2>(pattern, opt);
  if (!re->ok()) {
    return InvalidArgument(
        fmt::format("not a valid RE2 pattern: {} (see https://github.com/google/re2/wiki/Syntax)",
                    re->error()),
        fmt::format("{}:{}: rule[{}].when.{}", config.path, r.line, index, key));
  }
  return re;
}

}  // namespace

Result<Rules> Rules::Compile(const Config& config) {
  Rules out;
  for (size_t i = 0; i < config.rules.size(); ++i) {
    const RuleConfig& r = config.rules[i];
    Compiled c{&r, nullptr, nullptr};
    const int index = static_cast<int>(i);
    ASSIGN_OR_RETURN(c.body, Pattern(config, r, index, "body_matches", r.body_matches));
    ASSIGN_OR_RETURN(c.subject, Pattern(config, r, index, "subject_matches", r.subject_matches));
    out.rules_.push_back(std::move(c));
  }
  return out;
}

bool Rules::EventMatches(const Compiled& r, const event::Event& e) const {
  const RuleConfig& c = *r.config;
  if (!In(c.type, e.type) || !In(c.source, e.source)) return false;
  if (!c.author_role.empty() && !(e.message && In(c.author_role, e.message->author_role))) {
    return false;
  }
  if (r.body) {
    if (!e.message || !e.message->body) return false;
    if (!RE2::PartialMatch(*e.message->body, *r.body)) return false;
  }
  return true;
}

bool Rules::TicketMatches(const RuleConfig& r, const warehouse::TicketState& t,
                          const std::optional<std::string>& tier) {
  if (!In(r.status, t.status) || !In(r.priority, t.priority) || !In(r.channel, t.channel) ||
      !In(r.group, t.group) || !In(r.brand, t.brand) || !In(r.customer_tier, tier)) {
    return false;
  }
  if (!r.tags_any.empty() &&
      std::none_of(r.tags_any.begin(), r.tags_any.end(), [&](auto& x) { return Has(t.tags, x); })) {
    return false;
  }
  if (!std::all_of(r.tags_all.begin(), r.tags_all.end(), [&](auto& x) { return Has(t.tags, x); })) {
    return false;
  }
  return std::none_of(r.tags_none.begin(), r.tags_none.end(),
                      [&](auto& x) { return Has(t.tags, x); });
}

bool Rules::MayMatch(const event::Event& e) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const Compiled& r) { return EventMatches(r, e); });
}

std::vector<RuleAction> Rules::Judge(const event::Event& e, warehouse::TicketState& ticket,
                                     const std::optional<std::string>& tier) const {
  std::vector<RuleAction> out;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Compiled& r = rules_[i];
    const RuleConfig& c = *r.config;
    if (!EventMatches(r, e) || !TicketMatches(c, ticket, tier)) continue;
    if (r.subject && !(ticket.subject && RE2::PartialMatch(*ticket.subject, *r.subject))) continue;
    RuleAction a;
    a.rule = &c;
    a.index = static_cast<int>(i);
    std::vector<std::string> tags = ticket.tags.value_or(std::vector<std::string>());
    for (const std::string& t : c.add_tags) {
      if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    }
    if (tags.size() != ticket.tags.value_or(std::vector<std::string>()).size()) {
      a.tags_from = ticket.tags.value_or(std::vector<std::string>());
      a.tags_to = tags;
      ticket.tags = std::move(tags);
    }
    if (!c.set_priority.empty() && ticket.priority != c.set_priority) {
      a.set_priority = true;
      a.priority_from = ticket.priority;
      a.priority_to = c.set_priority;
      ticket.priority = c.set_priority;
    }
    if (!c.route_group.empty() && ticket.group != c.route_group) {
      a.route_group = true;
      a.group_from = ticket.group;
      a.group_to = c.route_group;
      ticket.group = c.route_group;
    }
    a.escalate = c.escalate;
    if (a.tags_to || a.set_priority || a.route_group || a.escalate) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace supportpipe::triggers
