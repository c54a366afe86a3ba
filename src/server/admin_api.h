// The admin API (docs/http-api.md#admin-api): the destinations' outbox over HTTP.
//
//   GET  /v1/admin/deliveries?destination=&state=&after_id=&limit=   a page, by id
//   GET  /v1/admin/deliveries/{id}                                     one, with its body
//   POST /v1/admin/deliveries/{id}/retry                               pending again, same id
//   POST /v1/admin/deliveries/replay?destination=&from=&to=            a time range again
//
// Every route needs "Authorization: Bearer <server.admin_token>" (compared in constant time);
// with no admin token configured, only loopback clients are served. Refusals are counted in
// supportpipe_auth_failures_total{source="admin"} and never echo what was sent.
//
// Thread-safe: Handle runs on the HTTP threads, synchronously (the log is thread-safe).
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/config.h"
#include "intake/http.h"
#include "log/event_log.h"
#include "observe/metrics.h"

namespace supportpipe::server {

class AdminApi {
 public:
  // `config` must outlive the API.
  AdminApi(const Config& config, log::EventLog& log, const Clock& clock, observe::Registry& metrics)
      : config_(config), log_(log), clock_(clock), metrics_(metrics) {}

  static bool Handles(std::string_view path) { return path.rfind("/v1/admin/", 0) == 0; }
  intake::HttpResponse Handle(const intake::HttpRequest& request);

 private:
  intake::HttpResponse Route(const intake::HttpRequest& request);
  intake::HttpResponse ListDeliveries(const intake::HttpRequest& request);
  intake::HttpResponse ReplayDeliveries(const intake::HttpRequest& request);
  intake::HttpResponse OneDelivery(const intake::HttpRequest& request, int64_t id, bool retry);

  const Config& config_;
  log::EventLog& log_;
  const Clock& clock_;
  observe::Registry& metrics_;
};

}  // namespace supportpipe::server
