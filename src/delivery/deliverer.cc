#include "delivery/deliverer.h"

#include <fmt/format.h>

#include <algorithm>

#include "sources/auth.h"
#include "sources/standard/standard_webhooks.h"

namespace supportpipe::delivery {
namespace {

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

Deliverer::Deliverer(log::EventLog& log, const DestinationConfig& destination, const Clock& clock,
                     observe::Registry& metrics, Sender send, uint64_t seed)
    : log_(log),
      destination_(destination),
      clock_(clock),
      metrics_(metrics),
      delivered_latency_(metrics, "delivered"),
      send_(std::move(send)),
      rng_(seed ? seed : std::random_device()()),
      bucket_(destination.rate_limit_per_s, std::max(1.0, destination.rate_limit_per_s)) {}

Deliverer::Outcome Deliverer::Attempt(log::Delivery& d, TimeMicros now) {
  intake::FetchRequest req;
  req.method = "POST";
  req.url = destination_.url;
  req.body = d.payload;
  req.timeout_ms = static_cast<int>(destination_.timeout_ms);
  req.max_body_bytes = 64 << 10;
  req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "supportpipe"}};
  if (destination_.format == "standard") {
    const int64_t ts = now / 1000000;
    Result<std::string> sig = sources::StandardWebhooksSign(*destination_.secret, d.message_id,
                                                            std::to_string(ts), d.payload);
    if (!sig.ok()) {
      d.state = "dead";
      d.last_error = sig.status().ToString();
      return Outcome::kFinal;
    }
    req.headers.emplace_back("webhook-id", d.message_id);
    req.headers.emplace_back("webhook-timestamp", std::to_string(ts));
    req.headers.emplace_back("webhook-signature", *sig);
  }
  ++d.attempts;
  d.updated_at = now;
  Result<intake::FetchResponse> r = send_(req);
  int64_t retry_after_s = 0;  // what the destination asked to wait, if anything
  if (r.ok()) {
    d.last_status = r->status;
    d.last_error.clear();
    if (r->status >= 200 && r->status < 300) {
      d.state = "delivered";
      return Outcome::kDelivered;
    }
    d.last_error = fmt::format("answered {}", r->status);
    if (!Retryable(r->status)) {
      d.state = "dead";
      d.last_error += ": not retried (only 408, 429 and 5xx are)";
      return Outcome::kFinal;
    }
    // Retry-After in seconds (the HTTP-date form is not used by the receivers we know).
    retry_after_s =
        std::max<int64_t>(0, sources::ParseInteger(r->Header("retry-after")).value_or(0));
  } else {
    d.last_status = 0;
    d.last_error = r.status().ToString();
  }
  if (d.attempts >= destination_.max_attempts) {
    d.state = "dead";
    d.last_error += fmt::format(" (gave up after {} attempts)", d.attempts);
    return Outcome::kFailed;
  }
  const auto& schedule = destination_.retry_s;
  const int64_t base_us =
      schedule[std::min<size_t>(static_cast<size_t>(d.attempts - 1), schedule.size() - 1)] *
      1000000;
  // Full jitter: uniform in (0, base], so that many failures at once spread out.
  const int64_t wait =
      1 + static_cast<int64_t>(std::uniform_int_distribution<int64_t>(0, base_us - 1)(rng_));
  d.next_attempt_at = now + std::max(wait, retry_after_s * 1000000);
  return Outcome::kFailed;
}

Result<Deliverer::StepResult> Deliverer::Step() {
  StepResult out;
  const TimeMicros now = clock_.Now();
  if (open_until_ && now < *open_until_) {
    out.next = open_until_;  // open: nothing goes out until then
    return out;
  }
  const bool probe = open_until_.has_value();  // half-open: one attempt decides
  ASSIGN_OR_RETURN(std::vector<log::Delivery> due,
                   log_.ListDeliveries(
                       {.destination = destination_.name, .due_by = now, .max = probe ? 1u : 50u}));
  for (log::Delivery& d : due) {
    if (TimeMicros wait = 0; !bucket_.Take(now, &wait)) {
      out.next = now + wait;
      return out;
    }
    const Outcome outcome = Attempt(d, clock_.Now());
    RETURN_IF_ERROR(log_.UpdateDelivery(d));
    if (outcome == Outcome::kDelivered && d.event_received_at) {
      delivered_latency_.Observe(d.source, (clock_.Now() - d.event_received_at) / 1e6);
    }
    ++out.attempted;
    metrics_
        .GetCounter("supportpipe_delivery_attempts_total",
                    "Delivery attempts, by destination and outcome (delivered, retry, dead).",
                    {{"destination", destination_.name},
                     {"outcome", d.state == "pending" ? "retry" : d.state}})
        .Inc();
    if (outcome != Outcome::kFailed) {
      failures_ = 0;
      open_until_.reset();
      circuit_open_ = false;
      continue;
    }
    if (probe || ++failures_ >= destination_.circuit_failures) {
      open_until_ = clock_.Now() + destination_.circuit_open_s * 1000000;
      circuit_open_ = true;
      out.next = open_until_;
      return out;
    }
  }
  ASSIGN_OR_RETURN(std::vector<log::Delivery> next,
                   log_.ListDeliveries({.destination = destination_.name,
                                        .due_by = std::numeric_limits<TimeMicros>::max(),
                                        .max = 1}));
  if (!next.empty()) out.next = next[0].next_attempt_at;
  return out;
}

}  // namespace supportpipe::delivery
