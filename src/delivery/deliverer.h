// The deliverer of one destination: sends its due outbox deliveries and records each
// outcome. A 2xx delivers; 408, 429, 5xx, a timeout or a dropped connection is retried after
// the destination's retry schedule (each wait drawn uniformly from (0, s], "full jitter"),
// never sooner than a Retry-After; any other status is final ("dead", not retried), and so
// is the last of max_attempts. Standard Webhooks deliveries are signed per attempt
// (webhook-id = the delivery's message id, the same on every attempt; webhook-timestamp;
// webhook-signature v1,HMAC-SHA256).
//
//   Deliverer d(log, destination_config, clock, metrics);
//   ASSIGN_OR_RETURN(Deliverer::StepResult r, d.Step());  // r.next: when to step again
//
// Attempts are limited to rate_limit_per_s (a token bucket holding a burst of as many), and
// a circuit breaker stops sending after circuit_failures failed attempts in a row, for
// circuit_open_s, then lets one attempt probe. Each destination has its own deliverer (and
// thread), so a slow or dead one never delays another. Thread-safety: one thread calls Step
// at a time; circuit_open() may be read from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "common/clock.h"
#include "common/config.h"
#include "common/token_bucket.h"
#include "intake/http_client.h"
#include "log/event_log.h"
#include "observe/metrics.h"

namespace supportpipe::delivery {

class Deliverer {
 public:
  using Sender = std::function<Result<intake::FetchResponse>(const intake::FetchRequest&)>;

  Deliverer(log::EventLog& log, const DestinationConfig& destination, const Clock& clock,
            observe::Registry& metrics, Sender send = intake::Fetch, uint64_t seed = 0);

  struct StepResult {
    size_t attempted = 0;
    std::optional<TimeMicros> next;  // when there may be something to send, if ever
  };
  // Attempts the deliveries due now (up to 50), oldest first, as the rate limit and the
  // circuit allow.
  Result<StepResult> Step();

  bool circuit_open() const { return circuit_open_; }

  const DestinationConfig& destination() const { return destination_; }

 private:
  enum class Outcome { kDelivered, kFinal, kFailed };
  // Sends one delivery and records the outcome in `d`.
  Outcome Attempt(log::Delivery& d, TimeMicros now);

  log::EventLog& log_;
  const DestinationConfig& destination_;
  const Clock& clock_;
  observe::Registry& metrics_;
  observe::StageLatency delivered_latency_;
  Sender send_;
  std::mt19937_64 rng_;
  TokenBucket bucket_;
  int64_t failures_ = 0;                  // failed attempts in a row
  std::optional<TimeMicros> open_until_;  // set while the circuit is open or half-open
  std::atomic<bool> circuit_open_{false};
};

}  // namespace supportpipe::delivery
