// The background stages of one process: processor (raw -> events), loader (events ->
// warehouse), the rules, the SLA clocks and the surge detector (loaded events -> rule
// actions and derived events), the
// dispatcher (events -> outbox) and one deliverer per destination (outbox -> HTTP), each on
// its own thread, woken when upstream has new data (and the timed ones at their next turn).
//
// Only one process runs each stage at a time; locks of the log decide which (an flock on
// data_dir/<name>.lock, or a PostgreSQL advisory lock with a JetStream log). A process that
// does not get one keeps trying, so `serve` takes over when an `import` finishes.
//
// The stages come in two groups:
//   load ("worker" lock): loader, SLA clocks, rules, surges, consent;
//   feed ("worker-feed" lock): processor, dispatcher, deliverers.
// With the embedded warehouse every stage reads this process's warehouse file, so the one
// "worker" lock covers both groups. With a shared (PostgreSQL) warehouse the groups run in
// whichever worker processes the log's members share them out to: each process takes a
// member slot ("worker-member-N"), ranks itself among the live members, and runs group g
// when g mod members == its rank; a third process stands by. Membership is looked at every
// second, so a group whose process died is taken over within about two (decision 0020).
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
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

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

  enum Group { kLoad = 0, kFeed = 1 };

  // Takes every group's lock now if all are free (import, tests); true when this worker
  // then runs every stage.
  bool TryActivate();
  void Start();
  void Stop();
  void NotifyRaw();  // new raw records are durable
  // Runs the load group (the loader and the stages that read the warehouse).
  bool active() const { return groups_[kLoad].active; }
  bool active(Group g) const { return groups_[shared_ ? g : kLoad].active; }
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
  void Run(Group group, Stage& stage, const char* name, const std::function<Result<size_t>()>& step,
           const std::vector<Stage*>& downstream,
           const std::function<std::optional<TimeMicros>()>& next_due = {});
  static void Wake(Stage& s);
  // With a shared warehouse: who the members are, and which groups run here.
  void Coordinate();
  bool TakeGroup(Group g);
  void ReleaseGroup(Group g);
  void WakeAll();
  std::vector<Stage*> AllStages();

  struct GroupState {
    std::atomic<bool> active{false};
    std::unique_ptr<log::EventLog::Lease> lease;
    // Steps run holding it shared; giving the lock up takes it exclusively, so that no step
    // of the group is still running here when another process starts the group.
    std::shared_mutex running;
  };

  log::EventLog& log_;
  warehouse::Warehouse& warehouse_;
  const Clock& clock_;
  const bool shared_;  // the warehouse is shared: the groups may run in different processes
  security::Privacy privacy_;
  pipeline::Processor processor_;
  pipeline::Loader loader_;
  pipeline::SlaClock sla_clock_;
  triggers::Rules rules_;
  triggers::RuleRunner rule_runner_;
  delivery::Dispatcher dispatcher_;
  triggers::SurgeDetector surge_;
  std::vector<std::unique_ptr<delivery::Deliverer>> deliverers_;
  GroupState groups_[2];
  std::unique_ptr<log::EventLog::Lease> member_;  // shared_: this process's member slot
  int member_slot_ = -1;
  std::thread coordinator_;
  std::mutex coordinate_mu_;
  std::condition_variable coordinate_cv_;
  // Other processes' appends: raw records wake the processor, events the loader and the
  // dispatcher (when they run in another process than the processor).
  std::unique_ptr<log::EventLog::Subscription> raw_watch_, events_watch_;
  std::mutex lock_mu_;
  std::chrono::steady_clock::time_point last_try_{};  // of TryLock, while inactive
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
