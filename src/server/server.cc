#include "server/server.h"

#include <spdlog/spdlog.h>

#include <map>

#include "common/crypto.h"
#include "observe/dashboard.h"
#include "observe/logging.h"
#include "server/backends.h"
#include "server/reconcile.h"

namespace supportpipe::server {

Result<std::unique_ptr<Server>> Server::Start(const Config& config, const Clock& clock, Role role) {
  const bool stages = role != Role::kIntake;
  std::unique_ptr<Server> s(new Server(config));
  ASSIGN_OR_RETURN(s->log_, OpenEventLog(s->config_));
  ASSIGN_OR_RETURN(s->policies_, support::Policies::Create(s->config_));
  ASSIGN_OR_RETURN(s->warehouse_, OpenWarehouse(s->config_.storage, clock, /*read_only=*/false,
                                                s->policies_.get()));
  ASSIGN_OR_RETURN(s->security_, OpenSecurityStore(s->config_.storage));
  s->auth_ = std::make_unique<security::Authenticator>(*s->security_, s->config_.server.admin_token,
                                                       clock);
  ASSIGN_OR_RETURN(s->decoders_, sources::DecoderSet::Create(s->config_.sources));
  RETURN_IF_ERROR(Worker::Validate(s->config_));
  s->worker_ = std::make_unique<Worker>(*s->log_, *s->warehouse_, *s->decoders_, clock, s->metrics_,
                                        s->config_);
  Worker* worker = s->worker_.get();
  observe::Registry* metrics = &s->metrics_;
  // What durability costs intake: records per group commit, and how long each took.
  observe::Histogram* batch = &metrics->GetHistogram(
      "supportpipe_group_commit_records", "Records per group commit of the raw log.", {},
      {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096});
  observe::Histogram* took = &metrics->GetHistogram(
      "supportpipe_group_commit_seconds",
      "Time of each group commit of the raw log (the transaction and its fsync).", {},
      observe::Registry::LatencyBuckets());
  auto on_commit = [worker, metrics, batch, took](std::span<const log::RawRecord> records,
                                                  std::span<const log::AppendResult> results,
                                                  double seconds) {
    worker->NotifyRaw();
    batch->Observe(static_cast<double>(records.size()));
    took->Observe(seconds);
    std::map<std::pair<std::string, bool>, int64_t> counts;  // (source, duplicate) -> n
    for (size_t i = 0; i < records.size(); ++i) {
      ++counts[{records[i].source, results[i].outcome == log::AppendOutcome::kDuplicate}];
    }
    for (const auto& [key, n] : counts) {
      metrics
          ->GetCounter("supportpipe_raw_records_total",
                       "Records durably appended to the raw log (or found there already), by "
                       "source and outcome.",
                       {{"source", key.first}, {"outcome", key.second ? "duplicate" : "appended"}})
          .Inc(n);
    }
  };
  s->committer_ = std::make_unique<log::GroupCommitter>(
      *s->log_, log::GroupCommitter::Options{
                    .max_pending = static_cast<size_t>(s->config_.server.max_pending_appends),
                    .max_requests = static_cast<size_t>(s->config_.server.max_pending_requests),
                    .committers = s->log_->parallel_appends(),
                    .on_commit = on_commit});
  ASSIGN_OR_RETURN(s->intake_, intake::Intake::Create(s->config_, *s->committer_, clock,
                                                      s->metrics_, s->auth_.get()));
  intake::HttpServerOptions http;
  RETURN_IF_ERROR(intake::SplitHostPort(s->config_.server.listen, &http.host, &http.port));
  http.threads = s->config_.server.threads;
  http.max_body_bytes = static_cast<size_t>(s->config_.server.max_body_bytes);
  http.max_header_bytes = static_cast<size_t>(s->config_.server.max_header_bytes);
  http.max_url_bytes = static_cast<size_t>(s->config_.server.max_url_bytes);
  http.tls_cert_file = s->config_.server.tls_cert_file;
  http.tls_key_file = s->config_.server.tls_key_file;
  s->RegisterGauges();
  intake::Intake* in = s->intake_.get();
  s->health_ = std::make_unique<HealthMonitor>(*s->log_, *s->warehouse_, s->config_, clock,
                                               s->metrics_, [in] {
                                                 return RequestCounts{in->requests(), in->errors()};
                                               });
  // An intake-only process never takes the worker lock: its stages do not run.
  if (stages) s->worker_->Start();
  s->intake_->SetTakesEvents(role != Role::kWorker);
  s->admin_ = std::make_unique<AdminApi>(s->config_, *s->log_, s->warehouse_.get(), *s->security_,
                                         *s->auth_, clock, s->metrics_);
  s->routes_ = std::make_unique<Routes>(*s->intake_, *s->admin_);
  ASSIGN_OR_RETURN(s->http_, intake::HttpServer::Start(http, *s->routes_));
  s->intake_->SetReady(true);
  s->health_thread_ = std::thread([srv = s.get()] { srv->HealthLoop(); });
  for (const SourceConfig& source : s->config_.sources) {
    if (stages && source.reconcile_every_h > 0) {
      s->reconcile_thread_ = std::thread([srv = s.get(), &clock] { srv->ReconcileLoop(clock); });
      break;
    }
  }
  if (stages && s->config_.retention.enabled()) {
    s->retention_ = std::make_unique<Retention>(s->config_.retention, *s->log_, *s->warehouse_,
                                                *s->security_, clock, s->metrics_);
    s->retention_thread_ = std::thread([srv = s.get()] { srv->RetentionLoop(); });
  }
  return s;
}

namespace {

// The client's id when it is 1-64 of [A-Za-z0-9._-], else a new random one.
std::string RequestId(const intake::HttpRequest& r) {
  const std::string_view given = r.Header("x-request-id");
  const bool sane = !given.empty() && given.size() <= 64 &&
                    given.find_first_not_of(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") == std::string_view::npos;
  return sane ? std::string(given) : HexEncode(RandomBytes(12));
}

intake::HttpResponse DashboardResponse(const observe::DashboardAsset& a) {
  intake::HttpResponse r;
  r.content_type = std::string(a.content_type);
  r.body = std::string(a.body);
  r.headers = {{"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"}};
  return r;
}

}  // namespace

void Server::Routes::Handle(intake::HttpRequest request, intake::Responder respond) {
  std::string id = RequestId(request);
  if (request.Header("x-request-id") != id) {
    std::erase_if(request.headers, [](const auto& h) { return h.first == "x-request-id"; });
    request.headers.emplace_back("x-request-id", id);
  }
  auto answer = [this, respond = std::move(respond), id, method = request.method,
                 path = std::string(request.Path())](intake::HttpResponse r) {
    if (r.status >= 400) {
      std::lock_guard lock(log_mu_);
      const TimeMicros now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
      if (log_budget_.Take(now)) {
        observe::LogFields fields = {{"request_id", id},
                                     {"method", method},
                                     {"path", path},
                                     {"status", std::to_string(r.status)},
                                     {"answer", r.body.substr(0, 300)}};
        if (suppressed_) fields.emplace_back("suppressed_before", std::to_string(suppressed_));
        suppressed_ = 0;
        observe::Log(r.status >= 500 ? spdlog::level::err : spdlog::level::warn,
                     "request refused or failed", fields);
      } else {
        ++suppressed_;
      }
    }
    r.headers.emplace_back("X-Request-Id", id);
    respond(std::move(r));
  };
  if (AdminApi::Handles(request.Path())) return answer(admin_.Handle(request));
  if (request.method == "GET") {
    if (const observe::DashboardAsset* a = observe::FindDashboardAsset(request.Path())) {
      return answer(DashboardResponse(*a));
    }
  }
  intake_.Handle(std::move(request), std::move(answer));
}

Server::~Server() { Stop(); }

void Server::RetentionLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopped_) {
    lock.unlock();
    auto p = retention_->Run("retention");
    if (!p.ok()) {
      spdlog::error("retention: {} (trying again in an hour)", p.status().ToString());
    } else if (p->raw || p->log_messages || p->warehouse_messages || p->dead_letters) {
      spdlog::info(
          "retention: purged {} raw records, {} message texts in the log, {} in the "
          "warehouse, {} dead letters",
          p->raw, p->log_messages, p->warehouse_messages, p->dead_letters);
    }
    lock.lock();
    stop_cv_.wait_for(lock, std::chrono::hours(1), [this] { return stopped_; });
  }
}

void Server::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stop_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  if (health_thread_.joinable()) health_thread_.join();
  if (reconcile_thread_.joinable()) reconcile_thread_.join();
  // Order matters: stop taking requests, let the committer answer everything queued
  // (durably), then stop the stages. The HTTP server object outlives the committer's
  // last callbacks, which post to its executor.
  if (intake_) intake_->SetReady(false);
  if (http_) http_->Stop();
  committer_.reset();
  if (worker_) worker_->Stop();
  http_.reset();
}

void Server::ReconcileLoop(const Clock& clock) {
  Reconciler reconciler(*log_, *warehouse_, *decoders_, clock);
  std::map<std::string, TimeMicros> next;  // source -> when it is due
  std::unique_lock lock(stop_mu_);
  while (!stopped_) {
    lock.unlock();
    const TimeMicros now = clock.Now();
    TimeMicros wake = now + 60LL * 1000000;  // look again in a minute at the latest
    for (const SourceConfig& source : config_.sources) {
      if (source.reconcile_every_h <= 0) continue;
      TimeMicros& due = next[source.name];
      if (now >= due && !worker_->active()) {
        wake = std::min(wake, now + 1000000);  // another process runs the stages: ask again soon
        continue;
      }
      if (now >= due) {
        due = now + source.reconcile_every_h * 3600LL * 1000000;
        const TimeMicros from = now - source.reconcile_days * 86400LL * 1000000;
        auto truth = ZendeskApiTruth(*log_, source, from, now);
        auto run = truth.ok() ? reconciler.Run(source, *truth, from, now, source.reconcile_repair)
                              : Result<warehouse::ReconciliationRun>(truth.status());
        if (!run.ok()) {
          observe::Log(spdlog::level::warn, "scheduled reconciliation failed",
                       {{"source", source.name}, {"error", run.status().ToString()}});
        } else {
          observe::Log(spdlog::level::info, "scheduled reconciliation",
                       {{"source", source.name},
                        {"missing", std::to_string(run->missing)},
                        {"extra", std::to_string(run->extra)},
                        {"diverging", std::to_string(run->diverging)},
                        {"repaired", std::to_string(run->repaired)}});
          if (run->repaired) worker_->NotifyRaw();
        }
      }
      if (due > now) wake = std::min(wake, due);
    }
    lock.lock();
    stop_cv_.wait_for(lock, std::chrono::microseconds(std::max<TimeMicros>(wake - clock.Now(), 0)),
                      [this] { return stopped_; });
  }
}

void Server::RegisterGauges() {
  log::GroupCommitter* gc = committer_.get();
  metrics_.AddGauge("supportpipe_append_queue_records",
                    "Records waiting for the next group commit.", {},
                    [gc] { return static_cast<double>(gc->pending()); });
  Worker* worker = worker_.get();
  metrics_.AddGauge(
      "supportpipe_worker_active",
      "1 when this process runs pipeline stages (holds a worker lock).", {}, [worker] {
        return worker->active(Worker::kLoad) || worker->active(Worker::kFeed) ? 1.0 : 0.0;
      });
  for (const auto& entry : {std::pair{Worker::kLoad, "load"}, std::pair{Worker::kFeed, "feed"}}) {
    const Worker::Group group = entry.first;
    metrics_.AddGauge("supportpipe_worker_group_active",
                      "1 when this process runs the group's stages: load (loader, SLA clocks, "
                      "rules, surges) or feed (processor, dispatcher, deliveries).",
                      {{"group", entry.second}},
                      [worker, group] { return worker->active(group) ? 1.0 : 0.0; });
  }
  observe::RegisterProcessMetrics(metrics_);
}

void Server::HealthLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopped_) {
    lock.unlock();
    if (Status st = health_->Check(/*record=*/worker_->active()); !st.ok()) {
      spdlog::warn("health check: {}", st.ToString());
    }
    lock.lock();
    stop_cv_.wait_for(lock, std::chrono::seconds(config_.alerts.check_interval_s),
                      [this] { return stopped_; });
  }
}

}  // namespace supportpipe::server
