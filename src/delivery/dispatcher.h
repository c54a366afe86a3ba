// The dispatcher: event log -> outbox. For every event whose type a [[destination]] lists,
// it enqueues one delivery per such destination (idempotent per destination and event),
// with the body in the destination's format and a message id that stays the same on every
// attempt, then commits its cursor. Events recorded more than [delivery] max_age_s after
// they occurred (an import, a replay, a late delivery) are enqueued as "skipped": visible,
// never sent, so a backfill does not flood anyone.
//
//   RETURN_IF_ERROR(ValidateDestinations(config));
//   Dispatcher d(log, config, clock, metrics);
//   while (*d.Step() > 0) {}
//
// Thread-safety: one thread calls Step at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "event/event.h"
#include "log/event_log.h"
#include "observe/metrics.h"

namespace supportpipe::delivery {

inline constexpr std::string_view kDispatcherConsumer = "dispatcher";

// The body a destination receives for an event: Standard Webhooks' {"type", "timestamp",
// "data": the canonical event} or a Slack message {"text"}.
std::string DeliveryBody(const DestinationConfig& destination, const event::Event& e);

// "msg_" + 32 hex digits naming (destination, source, event id).
std::string MessageId(std::string_view destination, std::string_view source,
                      std::string_view event_id);

// InvalidArgument naming the destination for an event type that does not exist.
Status ValidateDestinations(const Config& config);

class Dispatcher {
 public:
  // The consent purposes the customer an event is about has not given
  // ([privacy.consent.*] destinations): deliveries to destinations that need one of them
  // are kept as skipped.
  using WithheldConsents = std::function<Result<std::vector<std::string>>(const event::Event&)>;

  // `config` must outlive the dispatcher and pass ValidateDestinations.
  Dispatcher(log::EventLog& log, const Config& config, const Clock& clock,
             observe::Registry& metrics, WithheldConsents withheld = {})
      : log_(log),
        config_(config),
        clock_(clock),
        metrics_(metrics),
        withheld_(std::move(withheld)) {
    for (const ConsentRule& rule : config.privacy.consent) {
      for (const std::string& d : rule.destinations) consent_needed_[d].push_back(rule.purpose);
    }
  }

  // Dispatches one batch after the cursor and commits it. Returns the number of events
  // read; 0 means caught up. The first step of a new log position starts at the log's
  // end: a destination receives what happens after it was configured.
  Result<size_t> Step();

 private:
  log::EventLog& log_;
  const Config& config_;
  const Clock& clock_;
  observe::Registry& metrics_;
  WithheldConsents withheld_;
  // Destination -> the consent purposes it needs ([privacy.consent.*] destinations).
  std::map<std::string, std::vector<std::string>> consent_needed_;
};

}  // namespace supportpipe::delivery
