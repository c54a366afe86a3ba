#include "server/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <fmt/format.h>

#include "security/raw_cipher.h"

namespace supportpipe::server {

Worker::Worker(log::EventLog& log, warehouse::Warehouse& warehouse,
               const sources::DecoderSet& decoders, const Clock& clock, observe::Registry& metrics,
               const Config& config)
    : log_(log),
      warehouse_(warehouse),
      clock_(clock),
      shared_(config.storage.pg_warehouse()),
      privacy_(config.privacy),
      processor_(log, decoders, clock, metrics, &privacy_),
      loader_(log, warehouse, clock, metrics),
      sla_clock_(log, warehouse, clock, metrics),
      rules_(triggers::Rules::Compile(config).value()),
      rule_runner_(log, warehouse, rules_, clock, metrics),
      dispatcher_(log, config, clock, metrics,
                  [&warehouse](const event::Event& e) -> Result<std::vector<std::string>> {
                    const std::string_view customer =
                        e.customer ? std::string_view(e.customer->id) : std::string_view();
                    if (customer.empty() && e.TicketId().empty()) {
                      return std::vector<std::string>();  // about nobody (a surge, an alert)
                    }
                    return warehouse.WithheldConsents(e.source, customer, e.TicketId());
                  }),
      surge_(log, warehouse, config.surge, clock, metrics) {
  for (const DestinationConfig& d : config.destinations) {
    deliverers_.push_back(std::make_unique<delivery::Deliverer>(log, d, clock, metrics));
    const delivery::Deliverer* deliverer = deliverers_.back().get();
    metrics.AddGauge("supportpipe_destination_circuit_open",
                     "1 while a destination's circuit breaker holds its deliveries back.",
                     {{"destination", d.name}},
                     [deliverer] { return deliverer->circuit_open() ? 1.0 : 0.0; });
    delivery_stages_.push_back(std::make_unique<Stage>());
    delivery_next_.emplace_back();
  }
}

Worker::~Worker() { Stop(); }

Status Worker::Validate(const Config& config) {
  RETURN_IF_ERROR(delivery::ValidateDestinations(config));
  if (!config.privacy.encryption_key_file.empty()) {
    auto keys = security::RawCipher::Load(config.privacy.encryption_key_file,
                                          config.privacy.previous_key_files);
    if (!keys.ok()) {
      return InvalidArgument(keys.status().message(),
                             fmt::format("{}:{}: privacy key file {}", config.path,
                                         config.privacy.line, keys.status().field()));
    }
  }
  return triggers::Rules::Compile(config).status();
}

namespace {

constexpr const char* kGroupLock[] = {"worker", "worker-feed"};
constexpr const char* kGroupName[] = {"load", "feed"};
constexpr int kMemberSlots = 4;  // worker processes that can run groups; more stand by

}  // namespace

bool Worker::TryActivate() {
  std::lock_guard lock(lock_mu_);
  const int groups = shared_ ? 2 : 1;
  bool all = true;
  for (int g = 0; g < groups; ++g) all = all && groups_[g].active;
  if (all) return true;
  // Every idle stage asks; one attempt per half second is enough (with a JetStream log each
  // attempt is a PostgreSQL connection).
  const auto now = std::chrono::steady_clock::now();
  if (now - last_try_ < std::chrono::milliseconds(500)) return false;
  last_try_ = now;
  all = true;
  for (int g = 0; g < groups; ++g) {
    if (!groups_[g].active && !TakeGroup(static_cast<Group>(g))) all = false;
  }
  if (!all) {
    for (int g = 0; g < groups; ++g) ReleaseGroup(static_cast<Group>(g));
  }
  return all;
}

bool Worker::TakeGroup(Group g) {
  GroupState& group = groups_[g];
  if (group.active) return true;
  auto l = log_.TryLock(kGroupLock[g]);
  if (!l.ok()) {
    spdlog::warn("worker: cannot take the {} lock: {}", kGroupLock[g], l.status().ToString());
    return false;
  }
  if (!*l) return false;
  group.lease = std::move(l).value();
  group.active = true;
  if (shared_) {
    spdlog::info("worker: running the {} stages (this process holds the {} lock)", kGroupName[g],
                 kGroupLock[g]);
  } else {
    spdlog::info("worker: processing stages running (this process holds the worker lock)");
  }
  return true;
}

void Worker::ReleaseGroup(Group g) {
  GroupState& group = groups_[g];
  if (!group.active) return;
  group.active = false;
  std::unique_lock wait(group.running);  // the group's steps in flight end first
  group.lease.reset();
  if (!stop_) {  // another member's turn
    spdlog::info("worker: {} stages handed over (lock {} released)", kGroupName[g], kGroupLock[g]);
  }
}

void Worker::Coordinate() {
  pthread_setname_np(pthread_self(), "workers");
  while (!stop_) {
    {
      std::lock_guard lock(lock_mu_);
      for (int j = 0; j < kMemberSlots && !member_; ++j) {
        auto l = log_.TryLock(fmt::format("worker-member-{}", j));
        if (l.ok() && *l) {
          member_ = std::move(l).value();
          member_slot_ = j;
        }
      }
      // The live members are the slots held; a slot this process can take is free (and is
      // given back at once). Ranks follow slot numbers.
      int members = 1, rank = 0;
      bool known = member_ != nullptr;
      for (int j = 0; j < kMemberSlots && known; ++j) {
        if (j == member_slot_) continue;
        auto l = log_.TryLock(fmt::format("worker-member-{}", j));
        if (!l.ok()) {
          known = false;  // the log is unreachable: change nothing this time
        } else if (!*l) {
          ++members;
          if (j < member_slot_) ++rank;
        }
      }
      if (known) {
        for (int g = 0; g < 2; ++g) {
          if (g % members == rank) {
            if (!groups_[g].active && TakeGroup(static_cast<Group>(g))) WakeAll();
          } else {
            ReleaseGroup(static_cast<Group>(g));
          }
        }
      }
    }
    std::unique_lock lock(coordinate_mu_);
    coordinate_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_.load(); });
  }
}

std::vector<Worker::Stage*> Worker::AllStages() {
  std::vector<Stage*> stages = {&process_stage_, &load_stage_,     &sla_stage_,    &rules_stage_,
                                &surge_stage_,   &dispatch_stage_, &consent_stage_};
  for (auto& s : delivery_stages_) stages.push_back(s.get());
  return stages;
}

void Worker::WakeAll() {
  for (Stage* s : AllStages()) Wake(*s);
}

void Worker::Start() {
  raw_watch_ = log_.Watch("raw", [this] { NotifyRaw(); });
  if (shared_) {
    events_watch_ = log_.Watch("events", [this] {
      Wake(load_stage_);
      Wake(dispatch_stage_);
    });
  }
  if (shared_) coordinator_ = std::thread([this] { Coordinate(); });
  process_stage_.thread = std::thread([this] {
    Run(kFeed, process_stage_, "processor",
        [this]() -> Result<size_t> {
          ASSIGN_OR_RETURN(size_t n, processor_.Step());
          if (n) Wake(dispatch_stage_);
          return n;
        },
        {&load_stage_});
  });
  // Consent rules changed since they were last applied to every stored person: apply them,
  // in pages, beside the loads.
  consent_stage_.thread = std::thread([this] {
    Run(kLoad, consent_stage_, "consent", [this] { return warehouse_.ApplyConsentPolicy({}); }, {});
  });
  load_stage_.thread = std::thread([this] {
    Run(kLoad, load_stage_, "loader", [this] { return loader_.Step(); },
        {&sla_stage_, &rules_stage_});
  });
  rules_stage_.thread = std::thread([this] {
    Run(kLoad, rules_stage_, "rules",
        [this]() -> Result<size_t> {
          ASSIGN_OR_RETURN(triggers::RuleRunner::StepResult r, rule_runner_.Step());
          if (r.appended) Wake(dispatch_stage_);
          return r.read;
        },
        {&load_stage_});
  });
  sla_stage_.thread = std::thread([this] {
    Run(
        kLoad, sla_stage_, "sla-clock",
        [this]() -> Result<size_t> {
          ASSIGN_OR_RETURN(pipeline::SlaClock::StepResult r, sla_clock_.Step());
          sla_next_ = r.next;
          if (r.appended) Wake(dispatch_stage_);
          return r.rows;
        },
        {&load_stage_}, [this] { return sla_next_; });
  });
  surge_stage_.thread = std::thread([this] {
    Run(
        kLoad, surge_stage_, "surge",
        [this]() -> Result<size_t> {
          ASSIGN_OR_RETURN(triggers::SurgeDetector::StepResult r, surge_.Step());
          surge_next_ = r.next;
          if (r.appended) Wake(dispatch_stage_);
          return r.appended;
        },
        {&load_stage_}, [this] { return surge_next_; });
  });
  dispatch_stage_.thread = std::thread([this] {
    Run(kFeed, dispatch_stage_, "dispatcher",
        [this]() -> Result<size_t> {
          ASSIGN_OR_RETURN(size_t n, dispatcher_.Step());
          if (n) {
            for (auto& s : delivery_stages_) Wake(*s);
          }
          return n;
        },
        {});
  });
  for (size_t i = 0; i < deliverers_.size(); ++i) {
    delivery_stages_[i]->thread = std::thread([this, i] {
      // Thread names are at most 15 characters.
      const std::string name = ("dl-" + deliverers_[i]->destination().name).substr(0, 15);
      Run(
          kFeed, *delivery_stages_[i], name.c_str(),
          [this, i]() -> Result<size_t> {
            ASSIGN_OR_RETURN(delivery::Deliverer::StepResult r, deliverers_[i]->Step());
            delivery_next_[i] = r.next;
            return r.attempted;
          },
          {}, [this, i] { return delivery_next_[i]; });
    });
  }
}

void Worker::Stop() {
  if (stop_.exchange(true)) return;
  raw_watch_.reset();  // no more wake-ups from other processes
  events_watch_.reset();
  { std::lock_guard lock(coordinate_mu_); }
  coordinate_cv_.notify_all();
  if (coordinator_.joinable()) coordinator_.join();
  WakeAll();
  for (Stage* s : AllStages()) {
    if (s->thread.joinable()) s->thread.join();
  }
  std::lock_guard lock(lock_mu_);
  ReleaseGroup(kLoad);
  ReleaseGroup(kFeed);
  member_.reset();
}

void Worker::Wake(Stage& s) {
  {
    std::lock_guard lock(s.mu);
    s.pending = true;
  }
  s.cv.notify_one();
}

void Worker::NotifyRaw() { Wake(process_stage_); }

bool Worker::Idle() {
  auto raw = log_.LastOffset("raw");
  auto cur = log_.GetCursor(pipeline::kProcessorConsumer);
  auto events = log_.LastOffset("events");
  auto pos = warehouse_.Position(pipeline::kLoaderConsumer);
  return raw.ok() && cur.ok() && events.ok() && pos.ok() && *cur >= *raw && *pos >= *events;
}

void Worker::Run(Group group_of_stage, Stage& stage, const char* name,
                 const std::function<Result<size_t>()>& step, const std::vector<Stage*>& downstream,
                 const std::function<std::optional<TimeMicros>()>& next_due) {
  pthread_setname_np(pthread_self(), name);  // shows in top -H, perf and gdb
  // Intake answers senders who time out in seconds; the stages only have to keep up on
  // average. Under a burst the CPU goes to intake first and the stages catch up after
  // (the lag shows in supportpipe_consumer_lag_records).
  // SCHED_IDLE: the lowest weight the scheduler has (below nice 19); a stage still runs at
  // once whenever a core is free, so at ordinary rates it sees no delay (decision 0017).
  const sched_param idle{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
  // With the embedded warehouse one lock covers every stage.
  GroupState& group = groups_[shared_ ? group_of_stage : kLoad];
  int backoff_ms = 100;
  while (!stop_) {
    if (!shared_ && !group.active) TryActivate();  // shared: Coordinate() decides
    size_t done = 0;
    int wait_ms = group.active ? 200 : 1000;
    std::shared_lock running(group.running);
    if (group.active) {
      Result<size_t> r = step();
      if (!r.ok()) {
        // Storage trouble: keep the cursor where it is and retry with backoff.
        spdlog::error("{}: {} (retrying in {} ms)", name, r.status().ToString(), backoff_ms);
        wait_ms = backoff_ms;
        backoff_ms = std::min(backoff_ms * 2, 5000);
      } else {
        backoff_ms = 100;
        done = *r;
        if (done) {
          for (Stage* d : downstream) Wake(*d);
        }
      }
    }
    running.unlock();
    if (done) continue;                                   // more may be waiting: no sleep
    if (group.active && backoff_ms == 100 && next_due) {  // not after a failure: keep backing off
      if (const std::optional<TimeMicros> due = next_due()) {
        const int64_t ms = (*due - clock_.Now() + 999) / 1000;
        wait_ms = static_cast<int>(std::clamp<int64_t>(ms, 0, wait_ms));
      }
    }
    std::unique_lock lock(stage.mu);
    // Poll as well as wait, so another process's appends (an import) are seen too.
    stage.cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                      [&] { return stage.pending || stop_; });
    stage.pending = false;
  }
}

}  // namespace supportpipe::server
