#include "delivery/dispatcher.h"

#include <fmt/format.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <optional>

#include <algorithm>

#include "common/crypto.h"
#include "event/codec.h"

namespace supportpipe::delivery {
namespace {

bool Wants(const DestinationConfig& d, std::string_view type) {
  return std::find(d.events.begin(), d.events.end(), type) != d.events.end();
}

// One line a person reads in a chat channel.
std::string Summary(const event::Event& e) {
  const std::string ticket = e.ticket ? e.ticket->id : "";
  if (e.sla) {
    static constexpr std::pair<std::string_view, std::string_view> kWhat[] = {
        {"sla.applied", "SLA started"},
        {"sla.warning", "SLA at risk"},
        {"sla.breached", "SLA breached"},
        {"sla.fulfilled", "SLA met"}};
    std::string_view what = e.type;
    for (const auto& [type, text] : kWhat) {
      if (type == e.type) what = text;
    }
    return fmt::format("{}: ticket {} ({}) — {} #{}, policy {}, target {} min", what, ticket,
                       e.source, e.sla->metric, e.sla->instance, e.sla->policy,
                       e.sla->target_s / 60.0);
  }
  if (e.surge) {
    const event::Surge& s = *e.surge;
    return fmt::format("Surge: {} = {} — {} tickets created in the {} s from {} (usual {:.1f})",
                       s.dimension, s.value, s.count, s.bucket_s, FormatRfc3339(s.bucket_start),
                       s.mean);
  }
  if (!ticket.empty()) return fmt::format("{}: ticket {} ({})", e.type, ticket, e.source);
  return fmt::format("{} ({})", e.type, e.source);
}

}  // namespace

std::string DeliveryBody(const DestinationConfig& destination, const event::Event& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  if (destination.format == "slack") {
    const std::string text = Summary(e);
    w.Key("text");
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  } else {
    const std::string data = event::EncodeEvent(e);
    const std::string at = FormatRfc3339(e.occurred_at);
    w.Key("type");
    w.String(e.type.data(), static_cast<rapidjson::SizeType>(e.type.size()));
    w.Key("timestamp");
    w.String(at.data(), static_cast<rapidjson::SizeType>(at.size()));
    w.Key("data");
    w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string MessageId(std::string_view destination, std::string_view source,
                      std::string_view event_id) {
  const std::string key = fmt::format("{}\n{}\n{}", destination, source, event_id);
  return "msg_" + HexEncode(Sha256(key)).substr(0, 32);
}

Status ValidateDestinations(const Config& config) {
  for (const DestinationConfig& d : config.destinations) {
    for (const std::string& type : d.events) {
      if (!event::IsProducerType(type) && !event::IsDerivedType(type)) {
        return InvalidArgument(
            fmt::format("\"{}\" is not an event type (docs/events.md)", type),
            fmt::format("{}:{}: destination \"{}\" events", config.path, d.line, d.name));
      }
    }
  }
  return Status::Ok();
}

Result<size_t> Dispatcher::Step() {
  ASSIGN_OR_RETURN(std::optional<std::string> started, log_.GetState("dispatcher_started"));
  if (!started || config_.destinations.empty()) {
    // Destinations receive what happens after they are configured: the history stays put.
    ASSIGN_OR_RETURN(const log::Offset last, log_.LastOffset("events"));
    ASSIGN_OR_RETURN(const log::Offset cursor, log_.GetCursor(kDispatcherConsumer));
    if (last > cursor) RETURN_IF_ERROR(log_.CommitCursor(kDispatcherConsumer, last));
    if (!started && !config_.destinations.empty()) {
      RETURN_IF_ERROR(log_.PutState("dispatcher_started", "1"));
    }
    return size_t{0};
  }
  ASSIGN_OR_RETURN(const log::Offset cursor, log_.GetCursor(kDispatcherConsumer));
  ASSIGN_OR_RETURN(std::vector<log::EventRecord> batch, log_.ReadEvents(cursor, 1000));
  if (batch.empty()) return size_t{0};
  const TimeMicros now = clock_.Now();
  std::vector<log::Delivery> out;
  for (const log::EventRecord& r : batch) {
    bool wanted = false;
    for (const DestinationConfig& d : config_.destinations) wanted = wanted || Wants(d, r.type);
    if (!wanted) continue;
    auto e = event::DecodeCanonical(r.payload, {.trusted = true});
    if (!e.ok()) return DataLoss("stored event does not decode: " + e.status().ToString());
    e->source = r.source;
    const TimeMicros recorded = e->received_at ? e->received_at : now;
    const bool stale = recorded - e->occurred_at > config_.delivery.max_age_s * 1000000;
    // The consents the event's customer withheld, asked once, when a wanted destination
    // needs one.
    std::optional<std::vector<std::string>> withheld;
    for (const DestinationConfig& d : config_.destinations) {
      if (!Wants(d, r.type)) continue;
      std::string refused_by;  // the purpose whose consent is missing
      if (auto needs = consent_needed_.find(d.name); needs != consent_needed_.end() && withheld_) {
        if (!withheld) {
          ASSIGN_OR_RETURN(withheld, withheld_(*e));
        }
        for (const std::string& purpose : needs->second) {
          if (refused_by.empty() && std::count(withheld->begin(), withheld->end(), purpose)) {
            refused_by = purpose;
          }
        }
      }
      log::Delivery x;
      x.destination = d.name;
      x.source = r.source;
      x.event_id = r.event_id;
      x.type = r.type;
      x.event_offset = r.offset;
      x.message_id = MessageId(d.name, r.source, r.event_id);
      x.payload = DeliveryBody(d, *e);
      x.next_attempt_at = now;
      x.created_at = now;
      x.event_received_at = recorded;
      x.updated_at = now;
      if (!refused_by.empty()) {
        x.state = "skipped";
        x.last_error = fmt::format(
            "the customer has not given {} consent ([privacy.consent.{}] destinations): kept, "
            "not sent",
            refused_by, refused_by);
      } else if (stale) {
        x.state = "skipped";
        x.last_error = fmt::format(
            "recorded {} s after it occurred; [delivery] max_age_s = {}: kept, not sent",
            (recorded - e->occurred_at) / 1000000, config_.delivery.max_age_s);
      }
      metrics_
          .GetCounter("supportpipe_deliveries_enqueued_total",
                      "Deliveries put in the outbox, by destination and state (pending or "
                      "skipped as too old).",
                      {{"destination", d.name}, {"state", x.state}})
          .Inc();
      out.push_back(std::move(x));
    }
  }
  if (!out.empty()) RETURN_IF_ERROR(log_.EnqueueDeliveries(out));
  RETURN_IF_ERROR(log_.CommitCursor(kDispatcherConsumer, batch.back().offset));
  return batch.size();
}

}  // namespace supportpipe::delivery
