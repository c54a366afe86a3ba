#include "support/sla.h"

#include <algorithm>

#include "support/ticket_metrics.h"

namespace supportpipe::support {
namespace {

bool In(const std::vector<std::string>& allowed, const std::optional<std::string>& v) {
  return allowed.empty() || (v && std::find(allowed.begin(), allowed.end(), *v) != allowed.end());
}

bool ClockRuns(const std::string& metric, const std::string& status) {
  if (metric == "requester_wait_time") {
    return status == "new" || status == "open" || status == "hold";
  }
  if (metric == "agent_work_time") return status == "new" || status == "open";
  return true;
}

struct Fields {
  std::string status = "new";
  std::optional<std::string> priority, channel, group;
  std::vector<std::string> tags;
};

class Clocks {
 public:
  Clocks(const std::vector<SlaPolicy>& policies, const Schedule& schedule,
         const std::optional<std::string>& tier)
      : policies_(policies), schedule_(schedule), tier_(tier) {}

  Fields& fields() { return f_; }

  const SlaPolicy* Policy() const {
    for (const SlaPolicy& p : policies_) {
      bool tags = p.tags_any.empty();
      for (const auto& t : f_.tags) {
        tags = tags || std::find(p.tags_any.begin(), p.tags_any.end(), t) != p.tags_any.end();
      }
      if (In(p.priority, f_.priority) && In(p.channel, f_.channel) && In(p.group, f_.group) &&
          In(p.customer_tier, tier_) && tags) {
        return &p;
      }
    }
    return nullptr;
  }

  static std::optional<int64_t> Target(const SlaPolicy& p, const std::string& metric,
                                       const std::optional<std::string>& priority) {
    auto m = p.targets.find(metric);
    if (m == p.targets.end()) return std::nullopt;
    auto t = m->second.find(priority.value_or("normal"));
    if (t == m->second.end()) return std::nullopt;
    return t->second;
  }

  // Moves every open instance's clock to `t`; a breach strictly before `t` is final, one
  // exactly at `t` waits to see whether the event at `t` fulfils the instance.
  void Advance(TimeMicros t) {
    if (t <= last_) return;
    Settle(last_);                    // nothing at that instant fulfilled them
    std::optional<int64_t> business;  // the same for every business-hours instance
    for (Inst& i : insts_) {
      if (i.done || !ClockRuns(i.row.metric, f_.status)) continue;
      if (i.row.business_hours && !business) business = schedule_.BusinessMicros(last_, t);
      const int64_t gain = i.row.business_hours ? *business : t - last_;
      if (!i.row.warning_at && !i.warn_pending && i.elapsed + gain >= i.warn) {
        const TimeMicros w = Reach(i, last_, std::max<int64_t>(0, i.warn - i.elapsed));
        if (w < t) {
          i.row.warning_at = w;
        } else {
          i.warn_pending = w;
        }
      }
      if (!i.row.breached_at && i.elapsed + gain >= i.target) {
        const TimeMicros b = Reach(i, last_, i.target - i.elapsed);
        if (b < t) {
          i.row.breached_at = b;
        } else {
          i.pending = true;
        }
      }
      i.elapsed += gain;
    }
    last_ = t;
  }

  void Start(const std::string& metric, TimeMicros t) {
    const SlaPolicy* p = Policy();
    if (!p) return;
    std::optional<int64_t> target = Target(*p, metric, f_.priority);
    if (!target) return;
    Inst i;
    i.row.policy = p->name;
    i.row.metric = metric;
    i.row.instance = ++count_[metric];
    i.row.target_s = *target;
    i.row.business_hours = p->business_hours;
    i.row.applied_at = t;
    i.target = *target * 1000000;
    i.warn = WarnMicros(*p, i.target);
    insts_.push_back(std::move(i));
  }

  bool Running(const std::string& metric) const {
    return std::any_of(insts_.begin(), insts_.end(),
                       [&](const Inst& i) { return !i.done && i.row.metric == metric; });
  }

  void Fulfil(const std::string& metric, TimeMicros t) {
    for (Inst& i : insts_) {
      if (i.done || i.row.metric != metric) continue;
      i.done = true;
      i.pending = false;  // fulfilled at the instant it would have breached: in time
      i.warn_pending.reset();
      i.row.fulfilled_at = t;
    }
  }

  // Re-evaluates the policy after a field change: open instances take the new policy's
  // name and target where it has one for their metric.
  void Reevaluate(TimeMicros t) {
    const SlaPolicy* p = Policy();
    if (!p) return;
    for (Inst& i : insts_) {
      if (i.done) continue;
      std::optional<int64_t> target = Target(*p, i.row.metric, f_.priority);
      if (!target) continue;
      i.row.policy = p->name;
      if (i.row.breached_at || i.pending) continue;
      i.row.target_s = *target;
      i.target = *target * 1000000;
      i.warn = WarnMicros(*p, i.target);
      if (!i.row.warning_at && !i.warn_pending && i.elapsed >= i.warn) i.row.warning_at = t;
      if (i.elapsed >= i.target) i.row.breached_at = t;
    }
  }

  // Once time moves past `t`: breaches due exactly at `t` that no event at `t` prevented.
  void Settle(TimeMicros t) {
    for (Inst& i : insts_) {
      if (i.pending) {
        i.row.breached_at = t;
        i.pending = false;
      }
      if (i.warn_pending) {
        i.row.warning_at = *i.warn_pending;
        i.warn_pending.reset();
      }
    }
  }

  std::vector<SlaInstance> Finish(TimeMicros now) {
    Advance(std::max(now, last_));
    Settle(last_);  // `now` itself: due now and not fulfilled
    std::vector<SlaInstance> out;
    for (Inst& i : insts_) {
      SlaInstance r = i.row;
      r.elapsed_s = i.elapsed / 1000000;
      if (r.breached_at) {
        r.status = "breached";
        r.due_at = r.breached_at;
      } else if (r.fulfilled_at) {
        r.status = "fulfilled";
      } else if (ClockRuns(r.metric, f_.status)) {
        r.status = "active";
        r.due_at = Reach(i, last_, i.target - i.elapsed);
        if (!r.warning_at) r.warning_at = Reach(i, last_, i.warn - i.elapsed);
      } else {
        r.status = "paused";
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  void SetLast(TimeMicros t) { last_ = t; }

 private:
  struct Inst {
    SlaInstance row;
    int64_t elapsed = 0;  // microseconds, in the instance's measure
    int64_t target = 0;
    int64_t warn = 0;  // the warning fraction of the target
    bool done = false;
    bool pending = false;                    // breach exactly at the current instant
    std::optional<TimeMicros> warn_pending;  // warning exactly at the current instant
  };

  static int64_t WarnMicros(const SlaPolicy& p, int64_t target) {
    return static_cast<int64_t>(static_cast<double>(target) * p.warning_fraction);
  }

  TimeMicros Reach(const Inst& i, TimeMicros from, int64_t micros) const {
    return i.row.business_hours ? schedule_.AddBusiness(from, micros) : from + micros;
  }

  const std::vector<SlaPolicy>& policies_;
  const Schedule& schedule_;
  std::optional<std::string> tier_;
  Fields f_;
  std::vector<Inst> insts_;
  std::map<std::string, int> count_;
  TimeMicros last_ = 0;
};

}  // namespace

std::vector<SlaInstance> ComputeSla(const std::vector<event::Event>& timeline,
                                    const std::vector<SlaPolicy>& policies,
                                    const Schedule& schedule,
                                    const std::optional<std::string>& customer_tier,
                                    TimeMicros now) {
  const std::vector<const event::Event*> ordered = MetricsTimeline(timeline);
  if (ordered.empty()) return {};
  const event::Event& created = *ordered.front();
  const TimeMicros t0 = created.occurred_at;
  // Whether the ticket is agent-created decides when its first-reply clock starts.
  bool agent_created = false;
  for (const event::Event* e : ordered) {
    if (e->message && e->message->is_public && e->type != "csat.submitted") {
      agent_created = e->message->author_role == "agent";
      break;
    }
  }

  Clocks clocks(policies, schedule, customer_tier);
  Fields& f = clocks.fields();
  if (created.ticket) {
    f.status = created.ticket->status.value_or("new");
    f.priority = created.ticket->priority;
    f.channel = created.ticket->channel;
    f.group = created.ticket->group;
    f.tags = created.ticket->tags.value_or(std::vector<std::string>());
  }
  clocks.SetLast(t0);
  if (!agent_created) clocks.Start("first_reply_time", t0);
  for (const char* m : {"requester_wait_time", "agent_work_time", "total_resolution_time"}) {
    clocks.Start(m, t0);
  }
  bool first_public_seen = false, first_reply_seen = false, fr_started = !agent_created;

  for (const event::Event* ep : ordered) {
    const event::Event& e = *ep;
    const TimeMicros t = std::max(e.occurred_at, t0);
    clocks.Advance(t);
    if (&e != &created) {
      bool fields_changed = false;
      for (const event::Change& c : e.changes) {
        if (c.field == "priority") {
          f.priority = c.to_text;
          fields_changed = true;
        } else if (c.field == "group") {
          f.group = c.to_text;
          fields_changed = true;
        } else if (c.field == "channel") {
          f.channel = c.to_text;
          fields_changed = true;
        } else if (c.field == "tags" && c.to_list) {
          f.tags = *c.to_list;
          fields_changed = true;
        }
      }
      if (fields_changed) clocks.Reevaluate(t);
    }
    if (e.message && e.type != "csat.submitted" && e.message->is_public) {
      const std::string role = e.message->author_role.value_or("");
      const bool first_public = !first_public_seen;
      first_public_seen = true;
      if (role == "agent" && !first_public) {
        if (fr_started) clocks.Fulfil("first_reply_time", t);
        first_reply_seen = first_reply_seen || fr_started;
        clocks.Fulfil("next_reply_time", t);
      } else if (role == "customer") {
        if (!fr_started) {
          fr_started = true;
          clocks.Start("first_reply_time", t);
        } else if (first_reply_seen && !clocks.Running("next_reply_time") && f.status != "solved" &&
                   f.status != "closed") {
          clocks.Start("next_reply_time", t);
        }
      }
    }
    std::optional<std::string> to;
    if (&e != &created) {
      if (const event::Change* c = e.FindChange("status"); c && c->to_text) to = *c->to_text;
      if (e.type == "ticket.deleted") to = "deleted";
    }
    if (to && *to != f.status) {
      const bool solve = *to == "solved" || (*to == "closed" && f.status != "solved");
      const bool reopen = f.status == "solved" &&
                          (*to == "new" || *to == "open" || *to == "pending" || *to == "hold");
      f.status = *to;
      if (solve) {
        for (const char* m : kSlaMetrics) clocks.Fulfil(m, t);
      }
      if (reopen) {
        for (const char* m : {"requester_wait_time", "agent_work_time", "total_resolution_time"}) {
          clocks.Start(m, t);
        }
      }
    }
  }
  return clocks.Finish(now);
}

}  // namespace supportpipe::support
