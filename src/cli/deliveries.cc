// `supportpipe deliveries list | retry | replay`: the outbox of the destinations.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "delivery/outbox.h"
#include "server/backends.h"

namespace supportpipe::cli {

int RunDeliveriesList(const DeliveriesFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "deliveries.list",
                                  "destination " + flags.destination + " state " + flags.state);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto rows = (*log)->ListDeliveries(
      {.destination = flags.destination, .state = flags.state, .max = flags.limit});
  if (!rows.ok()) return Fail("deliveries list", rows.status());
  warehouse::QueryResult t;
  t.columns = {"id",       "destination", "state",           "type",       "event_id",
               "attempts", "last_status", "next_attempt_at", "message_id", "last_error"};
  for (const auto& d : *rows) {
    t.rows.push_back({IntCell(d.id), TextCell(d.destination), TextCell(d.state), TextCell(d.type),
                      TextCell(d.event_id), IntCell(d.attempts), IntCell(d.last_status),
                      TextCell(d.state == "pending" ? FormatRfc3339(d.next_attempt_at) : ""),
                      TextCell(d.message_id), TextCell(d.last_error)});
  }
  t.truncated = rows->size() == flags.limit;
  PrintTable(t, flags.format);
  return kExitOk;
}

int RunDeliveriesRetry(const DeliveriesFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "deliveries.retry",
                                  "delivery " + std::to_string(flags.id));
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto d = (*log)->GetDelivery(flags.id);
  if (!d.ok()) return Fail("deliveries retry", d.status());
  if (!*d) {
    return Fail("deliveries retry", NotFound(fmt::format("no delivery with id {}", flags.id)));
  }
  if ((*d)->state == "pending") {
    std::printf("delivery %lld is already pending (next attempt %s)\n",
                static_cast<long long>((*d)->id), FormatRfc3339((*d)->next_attempt_at).c_str());
    return kExitOk;
  }
  SystemClock clock;
  if (Status st = delivery::Resend(**log, **d, clock.Now()); !st.ok())
    return Fail("deliveries retry", st);
  std::printf("delivery %lld to %s is pending again (the running server sends it)\n",
              static_cast<long long>((*d)->id), (*d)->destination.c_str());
  return kExitOk;
}

int RunDeliveriesReplay(const DeliveriesFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "deliveries.replay",
                                  flags.destination + " " + flags.from + ".." + flags.to);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto range = ParseTimeRange(flags.from, flags.to);
  if (!range.ok()) return Fail("deliveries replay", range.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  SystemClock clock;
  auto resent =
      delivery::ResendRange(**log, flags.destination, range->from, range->to, clock.Now());
  if (!resent.ok()) return Fail("deliveries replay", resent.status());
  std::printf("%lld deliveries to %s are pending again (the running server sends them)\n",
              static_cast<long long>(*resent), flags.destination.c_str());
  return kExitOk;
}

}  // namespace supportpipe::cli
