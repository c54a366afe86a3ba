// The `serve` process: wires the configured backends, intake, HTTP server and the
// background stages together, and tears them down in an order that loses nothing.
//
//   ASSIGN_OR_RETURN(auto s, Server::Start(config, clock, {}));
//   s->port();   // the bound port (useful with listen = "127.0.0.1:0")
//   s->Stop();   // stop accepting, commit what is queued, stop the stages
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/config.h"
#include "common/token_bucket.h"
#include "intake/http.h"
#include "intake/intake.h"
#include "log/group_committer.h"
#include "observe/metrics.h"
#include "server/admin_api.h"
#include "server/health_monitor.h"
#include "server/retention.h"
#include "server/worker.h"
#include "support/policies.h"

namespace supportpipe::server {

// What a `serve` process does (docs/deployment.md): everything, only intake (webhooks and
// events into the log), or only the pipeline's stages (while it holds the worker lock).
enum class Role { kAll, kIntake, kWorker };

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const Config& config, const Clock& clock,
                                               Role role = Role::kAll);
  ~Server();

  uint16_t port() const { return http_->port(); }
  void Stop();

 private:
  // What the HTTP server calls: the admin API under /v1/admin/, the dashboard at / and
  // /dashboard/, intake for the rest. Every request gets an id (the client's X-Request-Id
  // when it is a sane one, else a new one): answered in X-Request-Id, kept with the raw
  // record's headers, and logged with every refusal or failure.
  class Routes final : public intake::HttpHandler {
   public:
    Routes(intake::Intake& intake, AdminApi& admin) : intake_(intake), admin_(admin) {}
    void Handle(intake::HttpRequest request, intake::Responder respond) override;

   private:
    intake::Intake& intake_;
    AdminApi& admin_;
    std::mutex log_mu_;
    TokenBucket log_budget_{20, 100};  // refusal lines per second, so a flood cannot fill disks
    int64_t suppressed_ = 0;           // lines over the budget since the last one written
  };

  explicit Server(const Config& config) : config_(config) {}
  void RegisterGauges();
  // Runs retention at start and then every hour until Stop.
  void RetentionLoop();
  // Reads the health (and judges the alerts) every [alerts] check_interval_s until Stop.
  void HealthLoop();
  // Reconciles the sources with reconcile_every_h against their API, at start and then on
  // schedule, while this process runs the worker stages.
  void ReconcileLoop(const Clock& clock);

  const Config config_;
  observe::Registry metrics_;
  std::unique_ptr<support::Policies> policies_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<warehouse::Warehouse> warehouse_;
  std::unique_ptr<security::Store> security_;
  std::unique_ptr<security::Authenticator> auth_;
  std::unique_ptr<sources::DecoderSet> decoders_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<log::GroupCommitter> committer_;
  std::unique_ptr<intake::Intake> intake_;
  std::unique_ptr<AdminApi> admin_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<intake::HttpServer> http_;
  std::unique_ptr<Retention> retention_;
  std::thread retention_thread_;
  std::unique_ptr<HealthMonitor> health_;
  std::thread health_thread_;
  std::thread reconcile_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
};

}  // namespace supportpipe::server
