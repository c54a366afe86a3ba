// The background stages of one process: processor (raw -> events), loader (events ->
// warehouse), the rules, the SLA clocks and the surge detector (loaded events -> rule
// actions and derived events), the
// dispatcher (events -> outbox) and one deliverer per destination (outbox -> HTTP), each on
// its own thread, woken when upstream has new data (and the timed ones at their next turn).
//
// Only one process may run the stages over a data directory at a time; the worker lock
// (an flock on data_dir/worker.lock) decides which. A process that does not get it keeps
// trying, so `serve` takes over when an `import` finishes.
//
//   Worker w(log, warehouse, decoders, clock, metrics, config);
//   w.Start();  w.NotifyRaw();  ...  w.WaitIdle(deadline);  w.Stop();
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "delivery/deliverer.h"
#include "delivery/dispatcher.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "pipeline/loader.h"
#include "pipeline/processor.h"
#include "pipeline/sla_clock.h"
#include "triggers/rule_runner.h"
#include "triggers/rules.h"
#include "triggers/surge_detector.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

class Worker {
 public:
  // Whether `config`'s destinations, rules and key files can be used: InvalidArgument naming
  // file:line.
  static Status Validate(const Config& config);

  // `config` (its storage.data_dir, rules, destinations and [delivery]) must outlive the
  // worker, and pass Validate.
  Worker(log::EventLog& log, warehouse::Warehouse& warehouse, const sources::DecoderSet& decoders,
         const Clock& clock, observe::Registry& metrics, const Config& config);
  ~Worker();

  // Takes the worker lock now if it is free; true when this worker holds it.
  bool TryActivate();
  void Start();
  void Stop();
  void NotifyRaw();                        // new raw records are durable
  bool active() const { return active_; }  // holds the worker lock
  // True when both stages have nothing left to do right now.
  bool Idle();
  pipeline::Processor& processor() { return processor_; }

 private:
  struct Stage {
    std::mutex mu;
    std::condition_variable cv;
    bool pending = false;
    std::thread thread;
  };
  // `next_due` (may be empty): when the stage next has timed work, so that it wakes then
  // rather than at its next poll.
  void Run(Stage& stage, const char* name, const std::function<Result<size_t>()>& step,
           const std::vector<Stage*>& downstream,
           const std::function<std::optional<TimeMicros>()>& next_due = {});
  static void Wake(Stage& s);

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Clock& clock_;
  security::Privacy privacy_;
  pipeline::Processor processor_;
  pipeline::Loader loader_;
  pipeline::SlaClock sla_clock_;
  triggers::Rules rules_;
  triggers::RuleRunner rule_runner_;
  delivery::Dispatcher dispatcher_;
  triggers::SurgeDetector surge_;
  std::vector<std::unique_ptr<delivery::Deliverer>> deliverers_;
  std::unique_ptr<log::EventLog::Lease> lock_;              // the "worker" lock of the log
  std::unique_ptr<log::EventLog::Subscription> raw_watch_;  // other processes' appends
  std::mutex lock_mu_;
  std::chrono::steady_clock::time_point last_try_{};  // of TryLock, while inactive
  std::atomic<bool> active_{false};
  std::atomic<bool> stop_{false};
  Stage process_stage_;
  Stage load_stage_;
  Stage sla_stage_;
  Stage rules_stage_;
  Stage dispatch_stage_;
  Stage surge_stage_;
  Stage consent_stage_;
  std::optional<TimeMicros> surge_next_;  // the surge detector's next turn (its thread only)
  // One per destination, with its next due delivery (its own thread only).
  std::vector<std::unique_ptr<Stage>> delivery_stages_;
  std::vector<std::optional<TimeMicros>> delivery_next_;
  std::optional<TimeMicros> sla_next_;  // the SLA clocks' next timer (their thread only)
};

}  // namespace supportpipe::server
