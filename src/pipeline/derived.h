// The log record of an event supportpipe derives itself (an SLA event, a surge, a rule's
// action, a pipeline alert): no raw record behind it (raw_offset 0), so the first one recorded
// under its id stands, and deriving it again appends nothing.
//
//   records.push_back(pipeline::DerivedRecord(e));
#pragma once

#include <string>

#include "event/codec.h"
#include "log/event_log.h"

namespace supportpipe::pipeline {

inline log::EventRecord DerivedRecord(const event::Event& e) {
  log::EventRecord r;
  r.source = e.source;
  r.event_id = e.id;
  r.ticket_id = std::string(e.TicketId());
  r.type = e.type;
  r.occurred_at = e.occurred_at;
  r.raw_offset = 0;
  r.payload = event::EncodeEvent(e);
  return r;
}

}  // namespace supportpipe::pipeline
