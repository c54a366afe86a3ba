// Operations on the outbox shared by the CLI (`deliveries`) and the admin API: resending,
// and a delivery as JSON.
//
//   RETURN_IF_ERROR(Resend(log, delivery, clock.Now()));
//   ASSIGN_OR_RETURN(int64_t n, ResendRange(log, "ops", from, to, clock.Now()));
//
// Thread-safe as the log is.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "log/event_log.h"

namespace supportpipe::delivery {

// Makes a delivery pending again now, with a fresh set of attempts and the same message id:
// receivers that already have it can tell.
Status Resend(log::EventLog& log, log::Delivery d, TimeMicros now);

// Resends every delivery of `destination` created in [from, to) that is not pending; returns
// how many.
Result<int64_t> ResendRange(log::EventLog& log, std::string_view destination, TimeMicros from,
                            TimeMicros to, TimeMicros now);

// {"id":..,"destination":..,"state":..,...}; the body sent as "payload" when asked.
std::string DeliveryJson(const log::Delivery& d, bool with_payload);

}  // namespace supportpipe::delivery
