// The admin API (docs/http-api.md#admin-api), behind bearer tokens with scopes.
//
//   GET  /v1/admin/deliveries?destination=&state=&after_id=&limit=   read
//   GET  /v1/admin/deliveries/{id}                                     read
//   POST /v1/admin/deliveries/{id}/retry                               replay
//   POST /v1/admin/deliveries/replay?destination=&from=&to=            replay
//   GET  /v1/admin/tokens                                              admin
//   POST /v1/admin/tokens?name=&scopes=a,b&expires_days=               admin (shown once)
//   POST /v1/admin/tokens/{id}/revoke                                  admin
//   GET  /v1/admin/audit?after=&limit=                                 admin
//   POST /v1/admin/erasures?customer=|email=&source=                   erase (a receipt)
//
// A token is the configured server.admin_token (every scope) or one made by `supportpipe token
// create` or this API. Until either exists, loopback clients are served without a token.
// Every call, allowed or not, is written to the audit log with its actor, target and outcome.
// Refusals are counted in supportpipe_auth_failures_total{source="admin"} and never echo what
// was sent.
//
// Thread-safe: Handle runs on the HTTP threads, synchronously (the stores are thread-safe).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/config.h"
#include "intake/http.h"
#include "log/event_log.h"
#include "observe/metrics.h"
#include "security/authenticator.h"
#include "security/store.h"
#include "warehouse/warehouse.h"

namespace supportpipe::server {

class AdminApi {
 public:
  // `config` and `auth` must outlive the API.
  // `warehouse` may be null (then erasures are refused).
  AdminApi(const Config& config, log::EventLog& log, warehouse::Warehouse* warehouse,
           security::Store& security, security::Authenticator& auth, const Clock& clock,
           observe::Registry& metrics);

  static bool Handles(std::string_view path) { return path.rfind("/v1/admin/", 0) == 0; }
  intake::HttpResponse Handle(const intake::HttpRequest& request);

 private:
  // What a request asks for: the audit action, the scope it needs, what it is about, and how
  // to answer it; or the answer itself for an unknown route or method.
  struct Call {
    std::string action, scope, target;
    std::function<intake::HttpResponse(std::string* target)> run;  // may refine the target
    std::optional<intake::HttpResponse> answer;
  };
  Call Plan(const intake::HttpRequest& request);
  intake::HttpResponse ListDeliveries(const intake::HttpRequest& request);
  intake::HttpResponse ReplayDeliveries(const intake::HttpRequest& request);
  intake::HttpResponse OneDelivery(int64_t id, bool retry);
  intake::HttpResponse CreateToken(const intake::HttpRequest& request, std::string* target);
  intake::HttpResponse ListTokens();
  intake::HttpResponse RevokeToken(std::string_view id);
  intake::HttpResponse ListAudit(const intake::HttpRequest& request);
  intake::HttpResponse Erase(const intake::HttpRequest& request, std::string* target);
  void Refused(std::string_view reason);

  const Config& config_;
  log::EventLog& log_;
  warehouse::Warehouse* warehouse_;
  security::Store& security_;
  security::Authenticator& auth_;
  const Clock& clock_;
  observe::Registry& metrics_;
};

}  // namespace supportpipe::server
