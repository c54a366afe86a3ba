#include "delivery/outbox.h"

#include <fmt/format.h>

#include "event/codec.h"

namespace supportpipe::delivery {

Status Resend(log::EventLog& log, log::Delivery d, TimeMicros now) {
  d.state = "pending";
  d.attempts = 0;
  d.next_attempt_at = now;
  d.updated_at = now;
  return log.UpdateDelivery(d);
}

Result<int64_t> ResendRange(log::EventLog& log, std::string_view destination, TimeMicros from,
                            TimeMicros to, TimeMicros now) {
  int64_t after = 0, resent = 0;
  for (;;) {
    ASSIGN_OR_RETURN(
        std::vector<log::Delivery> page,
        log.ListDeliveries(
            {.destination = std::string(destination), .after_id = after, .max = 1000}));
    if (page.empty()) return resent;
    for (const log::Delivery& d : page) {
      after = d.id;
      if (d.state == "pending" || d.created_at < from || d.created_at >= to) continue;
      RETURN_IF_ERROR(Resend(log, d, now));
      ++resent;
    }
  }
}

std::string DeliveryJson(const log::Delivery& d, bool with_payload) {
  using event::JsonQuote;
  std::string out = fmt::format(
      R"({{"id":{},"destination":{},"state":{},"type":{},"source":{},"event_id":{},)"
      R"("message_id":{},"attempts":{},"last_status":{},"last_error":{},"created_at":{},)"
      R"("updated_at":{},"next_attempt_at":{})",
      d.id, JsonQuote(d.destination), JsonQuote(d.state), JsonQuote(d.type), JsonQuote(d.source),
      JsonQuote(d.event_id), JsonQuote(d.message_id), d.attempts, d.last_status,
      JsonQuote(d.last_error), JsonQuote(FormatRfc3339(d.created_at)),
      JsonQuote(FormatRfc3339(d.updated_at)),
      d.state == "pending" ? JsonQuote(FormatRfc3339(d.next_attempt_at)) : "null");
  if (with_payload) out += ",\"payload\":" + JsonQuote(d.payload);
  return out + "}";
}

}  // namespace supportpipe::delivery
