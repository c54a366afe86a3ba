// Reads the pipeline's health every [alerts] check_interval_s: keeps the reading for the
// gauges of /metrics, and judges the pipeline-health alerts (docs/observability.md#alerts).
//
// An alert is a check over one subject ("freshness" of "warehouse", "destination_down" of
// "crm", ...). When its condition starts to hold, a `pipeline.alert` event with
// attributes.state = "firing" is recorded in the event log; when it stops, one with
// state = "resolved". Destinations that list `pipeline.alert` receive them like any other
// event. Which alerts fire is kept in the log's state, so a restart neither repeats nor
// forgets one; ids name the alert and the instant it fired, so nothing is recorded twice.
//
//   HealthMonitor m(log, warehouse, config, clock, metrics, [&] { return intake.counts(); });
//   RETURN_IF_ERROR(m.Check(/*record=*/true));   // at each interval
//
// Thread-safe: Check from one thread; the gauges read the latest reading from any.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "server/health.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

inline constexpr std::string_view kAlertType = "pipeline.alert";

// Intake requests answered so far, and how many of them with a status >= 400.
struct RequestCounts {
  int64_t requests = 0;
  int64_t errors = 0;
};

struct Alert {
  std::string check;    // freshness | error_rate | dead_letters | destination_down
  std::string subject;  // warehouse, intake, dead_letters or the destination's name
  double value = 0;
  double threshold = 0;
  std::string message;  // for people: what holds and what to look at
  std::string Key() const { return check + "/" + subject; }
};

class HealthMonitor {
 public:
  HealthMonitor(log::EventLog& log, warehouse::Warehouse& warehouse, const Config& config,
                const Clock& clock, observe::Registry& metrics,
                std::function<RequestCounts()> intake_counts);

  // Reads the health for the gauges (each /metrics scrape calls it).
  Status Refresh();
  // Reads the health and judges the alerts. With `record`, the alerts that start or stop
  // are recorded as events (only the process that runs the worker stages should).
  Status Check(bool record);

  std::shared_ptr<const Health> Latest() const;
  // The alerts firing after the last Check.
  std::vector<Alert> Firing() const;

 private:
  struct Sample {
    TimeMicros at = 0;
    int64_t dead_letters_open = 0;
    RequestCounts counts;
  };
  std::vector<Alert> Judge(const Health& h);
  Status Record(const std::vector<Alert>& now_firing, TimeMicros now);
  Status LoadFiring();
  void RegisterGauges();

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Config& config_;
  const Clock& clock_;
  observe::Registry& metrics_;
  const std::function<RequestCounts()> intake_counts_;
  std::deque<Sample> samples_;  // the last window_s of readings (Check's thread only)
  bool loaded_ = false;         // firing_ read from the log (Check's thread only)

  mutable std::mutex mu_;
  std::shared_ptr<const Health> latest_;
  std::map<std::string, std::pair<Alert, TimeMicros>> firing_;  // key -> (alert, fired at)
};

}  // namespace supportpipe::server
