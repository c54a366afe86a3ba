// Intake: the HTTP routes that take data in and the operational endpoints.
//
//   POST /v1/events            canonical events; a verdict per event (tokens: the configured
//                              ingest token, or stored ones with ingest:<source> scopes)
//   POST /v1/webhooks/{source} vendor webhooks, verified by the source's verifier
//   GET  /healthz /readyz /metrics
//
// Accepted data is answered only once it is durable in the raw log (group-committed).
// When the append queue is full the answer is 429 with Retry-After, at once; when the
// log fails it is 503 with Retry-After. Nothing here parses more than authentication and
// the per-event verdicts need; decoding for the event log happens in the processor.
//
// Thread-safe: Handle is called from the server's threads concurrently.
#pragma once

#include <atomic>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/config.h"
#include "common/token_bucket.h"
#include "intake/http.h"
#include "log/group_committer.h"
#include "observe/metrics.h"
#include "security/authenticator.h"
#include "sources/verifier.h"

namespace supportpipe::intake {

// The source name events posted to /v1/events get when they do not name one.
inline constexpr std::string_view kDefaultEventsSource = "api";

class Intake final : public HttpHandler {
 public:
  // Builds the verifiers of every configured source; InvalidArgument when one cannot be.
  // `auth` (may be null) admits stored tokens with ingest:<source> scopes on /v1/events.
  static Result<std::unique_ptr<Intake>> Create(const Config& config,
                                                log::GroupCommitter& committer, const Clock& clock,
                                                observe::Registry& metrics,
                                                security::Authenticator* auth = nullptr);

  void Handle(HttpRequest request, Responder respond) override;

  // Set by the server once its background stages run; /readyz reports it.
  void SetReady(bool ready) { ready_ = ready; }
  // False in a process that only runs the pipeline (`serve --role worker`): events and
  // webhooks are answered 503 naming the role, and /readyz 503, so load balancers skip it.
  void SetTakesEvents(bool takes) { takes_events_ = takes; }

  // Intake requests answered so far (webhooks and /v1/events), and those answered >= 400.
  int64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  struct Source {
    const SourceConfig* config;
    std::unique_ptr<sources::Verifier> verifier;
  };

  Intake(const Config& config, log::GroupCommitter& committer, const Clock& clock,
         observe::Registry& metrics, security::Authenticator* auth);
  void HandleEvents(HttpRequest& req, Responder respond);
  void HandleWebhook(std::string_view source_name, HttpRequest& req, Responder respond);
  void Finish(std::string_view route, std::string_view source, const Responder& respond,
              HttpResponse resp, TimeMicros started);
  // 429 or 503 for a refused or failed append.
  HttpResponse Overloaded(const Status& st);
  std::string KeptHeaders(const HttpRequest& req) const;
  // 429 with Retry-After when the client's address or the webhook's source (may be "") is
  // over its rate limit; nullopt to go on.
  std::optional<HttpResponse> RateLimited(const HttpRequest& req, std::string_view source,
                                          TimeMicros now);

  const Config& config_;
  security::Authenticator* auth_;
  log::GroupCommitter& committer_;
  const Clock& clock_;
  observe::Registry& metrics_;
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> errors_{0};
  observe::StageLatency logged_latency_;
  std::map<std::string, Source, std::less<>> sources_;
  std::mutex limits_mu_;
  // Keys fixed at Create (read without the lock); the buckets change under limits_mu_.
  std::map<std::string, TokenBucket, std::less<>> source_limits_;  // sources with a limit
  std::unordered_map<std::string, TokenBucket> client_limits_;     // by client address
  std::atomic<bool> ready_{false};
  bool takes_events_ = true;
};

}  // namespace supportpipe::intake
