// `supportpipe deliveries list | retry`: the outbox of the destinations.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "server/backends.h"

namespace supportpipe::cli {

int RunDeliveriesList(const DeliveriesFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(cfg->storage);
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
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(cfg->storage);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto d = (*log)->GetDelivery(flags.id);
  if (!d.ok()) return Fail("deliveries retry", d.status());
  if (!*d) {
    return Fail("deliveries retry", NotFound(fmt::format("no delivery with id {}", flags.id)));
  }
  log::Delivery x = **d;
  if (x.state == "pending") {
    std::printf("delivery %lld is already pending (next attempt %s)\n",
                static_cast<long long>(x.id), FormatRfc3339(x.next_attempt_at).c_str());
    return kExitOk;
  }
  // A fresh set of attempts, now, with the same message id: receivers that already have it
  // can tell.
  SystemClock clock;
  x.state = "pending";
  x.attempts = 0;
  x.next_attempt_at = clock.Now();
  x.updated_at = x.next_attempt_at;
  if (Status st = (*log)->UpdateDelivery(x); !st.ok()) return Fail("deliveries retry", st);
  std::printf("delivery %lld to %s is pending again (the running server sends it)\n",
              static_cast<long long>(x.id), x.destination.c_str());
  return kExitOk;
}

}  // namespace supportpipe::cli
