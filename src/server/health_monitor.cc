#include "server/health_monitor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

#include "delivery/dispatcher.h"
#include "event/codec.h"
#include "pipeline/derived.h"
#include "pipeline/loader.h"
#include "pipeline/processor.h"
#include "triggers/rule_runner.h"

namespace supportpipe::server {
namespace {

constexpr std::string_view kFiringState = "alerts_firing";
constexpr const char* kChecks[] = {"freshness", "error_rate", "dead_letters", "destination_down"};

log::EventRecord AlertEvent(const Alert& a, std::string_view state, TimeMicros fired_at,
                            TimeMicros now) {
  event::Event e;
  e.type = std::string(kAlertType);
  e.source = "supportpipe";
  e.occurred_at = now;
  e.received_at = now;
  e.id = fmt::format("alert:{}:{}:{}", a.check, a.subject, fired_at / 1000000);
  if (state == "resolved") e.id += ":resolved";
  e.attributes = {{"check", event::JsonQuote(a.check)},
                  {"subject", event::JsonQuote(a.subject)},
                  {"state", event::JsonQuote(state)},
                  {"value", fmt::format("{}", std::isfinite(a.value) ? a.value : 0.0)},
                  {"threshold", fmt::format("{}", a.threshold)},
                  {"fired_at", event::JsonQuote(FormatRfc3339(fired_at))},
                  {"message", event::JsonQuote(a.message)}};
  return pipeline::DerivedRecord(e);
}

}  // namespace

HealthMonitor::HealthMonitor(log::EventLog& log, warehouse::Warehouse& warehouse,
                             const Config& config, const Clock& clock, observe::Registry& metrics,
                             std::function<RequestCounts()> intake_counts)
    : log_(log),
      warehouse_(warehouse),
      config_(config),
      clock_(clock),
      metrics_(metrics),
      intake_counts_(std::move(intake_counts)) {
  RegisterGauges();
}

std::shared_ptr<const Health> HealthMonitor::Latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

std::vector<Alert> HealthMonitor::Firing() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (const auto& [key, f] : firing_) out.push_back(f.first);
  return out;
}

Status HealthMonitor::Refresh() {
  ASSIGN_OR_RETURN(Health h, ReadHealth(log_, warehouse_, config_, clock_.Now()));
  std::lock_guard lock(mu_);
  latest_ = std::make_shared<const Health>(std::move(h));
  return Status::Ok();
}

Status HealthMonitor::Check(bool record) {
  RETURN_IF_ERROR(Refresh());
  std::shared_ptr<const Health> shared = Latest();
  const TimeMicros now = shared->at;
  samples_.push_back(
      {now, shared->dead_letters_open, intake_counts_ ? intake_counts_() : RequestCounts{}});
  const TimeMicros window = config_.alerts.window_s * 1000000;
  // Keep one sample at or before the window's start to measure growth across all of it.
  while (samples_.size() > 1 && samples_[1].at <= now - window) samples_.pop_front();
  if (!record) return Status::Ok();
  if (!loaded_) {
    RETURN_IF_ERROR(LoadFiring());
    loaded_ = true;
  }
  return Record(Judge(*shared), now);
}

std::vector<Alert> HealthMonitor::Judge(const Health& h) {
  const AlertsConfig& c = config_.alerts;
  std::vector<Alert> out;
  if (c.freshness_lag_s > 0) {
    // The oldest record received and not yet in the warehouse, whichever stage holds it.
    double lag = 0;
    for (const char* stage : {"processor", "loader"}) {
      if (const ConsumerLag* l = h.Lag(stage)) lag = std::max(lag, l->seconds);
    }
    if (lag > static_cast<double>(c.freshness_lag_s)) {
      out.push_back({"freshness", "warehouse", lag, static_cast<double>(c.freshness_lag_s),
                     fmt::format("the warehouse is {:.0f} s behind the events received (limit "
                                 "{} s): see `supportpipe status` and the server's log",
                                 lag, c.freshness_lag_s)});
    }
  }
  const Sample& first = samples_.front();
  const Sample& last = samples_.back();
  if (c.error_rate > 0) {
    const int64_t requests = last.counts.requests - first.counts.requests;
    const int64_t errors = last.counts.errors - first.counts.errors;
    const double rate = requests > 0 ? static_cast<double>(errors) / requests : 0.0;
    if (requests >= c.error_min_requests && rate > c.error_rate) {
      out.push_back({"error_rate", "intake", rate, c.error_rate,
                     fmt::format("{} of {} intake requests in the last {} s were refused or "
                                 "failed: see supportpipe_http_requests_total and "
                                 "supportpipe_auth_failures_total by source",
                                 errors, requests, c.window_s)});
    }
  }
  if (c.dead_letter_growth > 0) {
    const int64_t growth = last.dead_letters_open - first.dead_letters_open;
    if (growth >= c.dead_letter_growth) {
      out.push_back({"dead_letters", "dead_letters", static_cast<double>(growth),
                     static_cast<double>(c.dead_letter_growth),
                     fmt::format("{} new dead letters in the last {} s: `supportpipe dlq list` "
                                 "shows the reasons",
                                 growth, c.window_s)});
    }
  }
  if (c.destination_down_s > 0) {
    for (const DestinationHealth& d : h.destinations) {
      if (d.oldest_pending_s > static_cast<double>(c.destination_down_s)) {
        out.push_back({"destination_down", d.name, d.oldest_pending_s,
                       static_cast<double>(c.destination_down_s),
                       fmt::format("destination {} has not taken a delivery for {:.0f} s ({} "
                                   "pending): `supportpipe deliveries list --destination {}`",
                                   d.name, d.oldest_pending_s, d.pending, d.name)});
      }
    }
  }
  return out;
}

Status HealthMonitor::Record(const std::vector<Alert>& now_firing, TimeMicros now) {
  std::vector<log::EventRecord> events;
  std::vector<std::pair<std::string, const char*>> transitions;  // (check, state) per event
  std::map<std::string, std::pair<Alert, TimeMicros>> next;
  {
    std::lock_guard lock(mu_);
    for (const Alert& a : now_firing) {
      auto it = firing_.find(a.Key());
      const TimeMicros fired_at = it == firing_.end() ? now : it->second.second;
      if (it == firing_.end()) {
        events.push_back(AlertEvent(a, "firing", fired_at, now));
        transitions.emplace_back(a.check, "firing");
      }
      next.emplace(a.Key(), std::make_pair(a, fired_at));
    }
    for (const auto& [key, f] : firing_) {
      if (next.count(key)) continue;
      Alert resolved = f.first;
      resolved.message = fmt::format("resolved: {}", f.first.message);
      events.push_back(AlertEvent(resolved, "resolved", f.second, now));
      transitions.emplace_back(f.first.check, "resolved");
    }
  }
  if (!events.empty()) {
    // The events first: after a crash between the two, the next check finds the same alerts
    // firing under the same ids (fired_at is kept), so nothing is recorded twice.
    std::vector<log::AppendResult> results;
    RETURN_IF_ERROR(log_.AppendEvents(events, &results));
    std::string state;
    for (const auto& [key, f] : next) {
      state += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", f.first.check, f.first.subject, f.second,
                           f.first.value, f.first.threshold, f.first.message);
    }
    RETURN_IF_ERROR(log_.PutState(kFiringState, state));
    for (const auto& [check, state_name] : transitions) {
      metrics_
          .GetCounter("supportpipe_alerts_total",
                      "pipeline.alert events recorded, by check and state.",
                      {{"check", check}, {"state", state_name}})
          .Inc();
    }
  }
  std::lock_guard lock(mu_);
  firing_ = std::move(next);
  return Status::Ok();
}

Status HealthMonitor::LoadFiring() {
  ASSIGN_OR_RETURN(std::optional<std::string> state, log_.GetState(kFiringState));
  if (!state) return Status::Ok();
  std::istringstream in(*state);
  std::lock_guard lock(mu_);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    Alert a;
    TimeMicros fired_at = 0;
    std::getline(f, a.check, '\t');
    std::getline(f, a.subject, '\t');
    f >> fired_at >> a.value >> a.threshold;
    if (a.check.empty() || !f) continue;
    f.ignore(1);  // the tab before the message
    std::getline(f, a.message);
    firing_.emplace(a.Key(), std::make_pair(a, fired_at));
  }
  return Status::Ok();
}

void HealthMonitor::RegisterGauges() {
  metrics_.AddCollector([this] {
    if (Status st = Refresh(); !st.ok()) spdlog::warn("health for /metrics: {}", st.ToString());
  });
  // Each gauge reads the latest reading; NaN until the first.
  auto read = [this](auto fn) {
    return [this, fn] {
      std::shared_ptr<const Health> h = Latest();
      return h ? static_cast<double>(fn(*h)) : std::nan("");
    };
  };
  std::vector<std::string_view> consumers = {pipeline::kProcessorConsumer,
                                             pipeline::kLoaderConsumer, triggers::kRulesConsumer};
  if (!config_.destinations.empty()) consumers.push_back(delivery::kDispatcherConsumer);
  for (std::string_view consumer : consumers) {
    const std::string name(consumer);
    auto lag = [name](const Health& h) -> const ConsumerLag* { return h.Lag(name); };
    metrics_.AddGauge("supportpipe_consumer_lag_records",
                      "Records a stage has yet to consume from its input log.",
                      {{"consumer", name}}, read([lag](const Health& h) {
                        const ConsumerLag* l = lag(h);
                        return l ? static_cast<double>(l->records) : 0.0;
                      }));
    metrics_.AddGauge("supportpipe_consumer_lag_seconds",
                      "How long the oldest record a stage has yet to consume has waited.",
                      {{"consumer", name}}, read([lag](const Health& h) {
                        const ConsumerLag* l = lag(h);
                        return l ? l->seconds : 0.0;
                      }));
  }
  for (const char* stream : {"raw", "events"}) {
    const bool raw = std::string_view(stream) == "raw";
    metrics_.AddGauge("supportpipe_log_last_offset", "The highest offset in each log stream.",
                      {{"stream", stream}},
                      read([raw](const Health& h) { return raw ? h.raw_last : h.events_last; }));
  }
  metrics_.AddGauge("supportpipe_warehouse_freshness_seconds",
                    "Age of the newest event loaded into the warehouse (since its receipt).", {},
                    read([](const Health& h) { return h.FreshnessSeconds().value_or(NAN); }));
  metrics_.AddGauge("supportpipe_dead_letters_open", "Dead letters not yet replayed.", {},
                    read([](const Health& h) { return h.dead_letters_open; }));
  metrics_.AddGauge("supportpipe_tickets", "Tickets in the warehouse.", {},
                    read([](const Health& h) { return h.tickets; }));
  metrics_.AddGauge("supportpipe_sla_clocks",
                    "SLA instances: running, at risk (past their "
                    "warning instant), and breached (all time).",
                    {{"state", "active"}}, read([](const Health& h) { return h.sla_active; }));
  metrics_.AddGauge("supportpipe_sla_clocks", "", {{"state", "at_risk"}},
                    read([](const Health& h) { return h.sla_at_risk; }));
  metrics_.AddGauge("supportpipe_sla_clocks", "", {{"state", "breached"}},
                    read([](const Health& h) { return h.sla_breached; }));
  for (size_t i = 0; i < config_.destinations.size(); ++i) {
    const std::string& name = config_.destinations[i].name;
    for (const char* state : {"pending", "dead"}) {
      const bool pending = std::string_view(state) == "pending";
      metrics_.AddGauge(
          "supportpipe_outbox_deliveries",
          "Deliveries in the outbox by destination and state (pending, dead).",
          {{"destination", name}, {"state", state}}, read([i, pending](const Health& h) {
            return i < h.destinations.size()
                       ? (pending ? h.destinations[i].pending : h.destinations[i].dead)
                       : 0;
          }));
    }
    metrics_.AddGauge("supportpipe_outbox_oldest_pending_seconds",
                      "How long a destination's oldest pending delivery has waited.",
                      {{"destination", name}}, read([i](const Health& h) {
                        return i < h.destinations.size() ? h.destinations[i].oldest_pending_s : 0.0;
                      }));
  }
  for (const SourceConfig& source : config_.sources) {
    const std::string name = source.name;
    auto last = [name](const Health& h) -> const LastReconciliation* {
      for (const LastReconciliation& r : h.reconciliations) {
        if (r.source == name) return &r;
      }
      return nullptr;
    };
    for (const char* kind : {"missing", "extra", "diverging"}) {
      const std::string k = kind;
      metrics_.AddGauge(
          "supportpipe_reconciliation_differences",
          "Tickets the last reconciliation of a source found missing, extra or diverging; NaN "
          "before the first.",
          {{"source", name}, {"kind", kind}}, read([last, k](const Health& h) {
            const LastReconciliation* r = last(h);
            if (!r) return std::nan("");
            return static_cast<double>(k == "missing" ? r->missing
                                       : k == "extra" ? r->extra
                                                      : r->diverging);
          }));
    }
    metrics_.AddGauge("supportpipe_reconciliation_last_run_timestamp_seconds",
                      "When the last reconciliation of a source finished (Unix seconds).",
                      {{"source", name}}, read([last](const Health& h) {
                        const LastReconciliation* r = last(h);
                        return r ? static_cast<double>(r->finished_at) / 1e6 : std::nan("");
                      }));
  }
  for (const char* check : kChecks) {
    metrics_.AddGauge("supportpipe_alerts_firing", "Pipeline-health alerts firing, by check.",
                      {{"check", check}}, [this, check] {
                        std::lock_guard lock(mu_);
                        double n = 0;
                        for (const auto& [key, f] : firing_) n += f.first.check == check;
                        return n;
                      });
  }
}

}  // namespace supportpipe::server
