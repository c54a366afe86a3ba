#include "server/retention.h"

#include <fmt/format.h>

#include "event/codec.h"
#include "pipeline/processor.h"

namespace supportpipe::server {
namespace {

constexpr int64_t kDay = 86400LL * 1000000;

// The payload without message body and CSAT comment, or nullopt when it has neither.
std::optional<std::string> WithoutMessageText(const log::EventRecord& r) {
  Result<event::Event> e = event::DecodeCanonical(r.payload, {.trusted = true});
  if (!e.ok()) return std::nullopt;
  bool changed = false;
  if (e->message && e->message->body) {
    e->message->body.reset();
    changed = true;
  }
  if (e->csat && e->csat->comment) {
    e->csat->comment.reset();
    changed = true;
  }
  if (!changed) return std::nullopt;
  return event::EncodeEvent(*e);
}

}  // namespace

Status Retention::Record(std::string_view actor, std::string_view what, int64_t days, int64_t n) {
  metrics_
      .GetCounter("supportpipe_retention_purged_total",
                  "Records purged by retention, by what: raw, log_messages, warehouse_messages, "
                  "dead_letters.",
                  {{"what", std::string(what)}})
      .Inc(n);
  if (!n) return Status::Ok();
  return security_
      .AppendAudit({.at = clock_.Now(),
                    .actor = std::string(actor),
                    .action = "retention.purge",
                    .target = fmt::format("{} older than {} days: {}", what, days, n),
                    .outcome = "ok"})
      .status();
}

Result<Retention::Purged> Retention::Run(std::string_view actor) {
  Purged p;
  const TimeMicros now = clock_.Now();
  if (config_.raw_days > 0) {
    // Only what the processor has turned into events: nothing is lost before it is read.
    ASSIGN_OR_RETURN(const log::Offset processed, log_.GetCursor(pipeline::kProcessorConsumer));
    ASSIGN_OR_RETURN(p.raw, log_.PurgeRaw(now - config_.raw_days * kDay, processed));
    RETURN_IF_ERROR(Record(actor, "raw", config_.raw_days, p.raw));
  }
  if (config_.messages_days > 0) {
    const TimeMicros before = now - config_.messages_days * kDay;
    ASSIGN_OR_RETURN(p.log_messages, log_.RewriteEvents(before, "\"body\"", WithoutMessageText));
    int64_t comments = 0;
    ASSIGN_OR_RETURN(comments, log_.RewriteEvents(before, "\"comment\"", WithoutMessageText));
    p.log_messages += comments;
    RETURN_IF_ERROR(Record(actor, "log_messages", config_.messages_days, p.log_messages));
    ASSIGN_OR_RETURN(p.warehouse_messages, warehouse_.PurgeMessageBodies(before));
    RETURN_IF_ERROR(
        Record(actor, "warehouse_messages", config_.messages_days, p.warehouse_messages));
  }
  if (config_.dlq_days > 0) {
    ASSIGN_OR_RETURN(p.dead_letters, log_.PurgeDeadLetters(now - config_.dlq_days * kDay));
    RETURN_IF_ERROR(Record(actor, "dead_letters", config_.dlq_days, p.dead_letters));
  }
  return p;
}

}  // namespace supportpipe::server
