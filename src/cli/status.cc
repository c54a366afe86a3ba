// `supportpipe status`: the pipeline's health in the terminal — whether the server answers,
// how far each stage lags, what waits in the dead-letter queue and the outbox, how fresh the
// warehouse is, and the SLA clocks. Counts only: no personal data.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/clock.h"
#include "intake/http_client.h"
#include "pipeline/loader.h"
#include "pipeline/processor.h"
#include "server/backends.h"
#include "triggers/rule_runner.h"

namespace supportpipe::cli {

int RunStatus(const StatusFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  warehouse::QueryResult t;
  t.columns = {"what", "value"};
  auto row = [&](std::string what, std::string value) {
    t.rows.push_back({TextCell(std::move(what)), TextCell(std::move(value))});
  };

  // The server, as a load balancer sees it.
  const bool tls = !cfg->server.tls_cert_file.empty();
  auto ready = intake::Fetch(
      {.url = fmt::format("{}://{}/readyz", tls ? "https" : "http", cfg->server.listen),
       .timeout_ms = 2000});
  if (!ready.ok()) {
    row("server", "not answering on " + cfg->server.listen);
  } else {
    row("server", ready->status == 200 ? "ready" : fmt::format("not ready ({})", ready->body));
  }

  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto lag = [&](std::string_view stream, std::string_view consumer) -> Result<uint64_t> {
    ASSIGN_OR_RETURN(log::Offset last, (*log)->LastOffset(stream));
    ASSIGN_OR_RETURN(log::Offset at, (*log)->GetCursor(consumer));
    return last - std::min(last, at);
  };
  auto raw_lag = lag("raw", pipeline::kProcessorConsumer);
  auto rules_lag = lag("events", triggers::kRulesConsumer);
  auto raw_last = (*log)->LastOffset("raw");
  auto events_last = (*log)->LastOffset("events");
  auto open_letters = (*log)->CountDeadLetters("open");
  for (const auto* r : {&raw_lag, &rules_lag, &raw_last, &events_last}) {
    if (!r->ok()) return Fail("status", r->status());
  }
  if (!open_letters.ok()) return Fail("status", open_letters.status());
  row("raw records", Thousands(*raw_last));
  row("events", Thousands(*events_last));
  row("processor lag (records)", Thousands(*raw_lag));

  SystemClock clock;
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto loaded = (*wh)->Position(pipeline::kLoaderConsumer);
  if (!loaded.ok()) return Fail("status", loaded.status());
  row("loader lag (events)", Thousands(*events_last - std::min(*events_last, *loaded)));
  row("rules lag (events)", Thousands(*rules_lag));
  auto scalar = [&](const std::string& sql) -> std::string {
    auto r = (*wh)->Query(sql, 1);
    if (!r.ok() || r->rows.empty()) return "?";
    const warehouse::Cell& c = r->rows[0][0];
    if (c.kind == warehouse::Cell::Kind::kInt) return Thousands(static_cast<uint64_t>(c.i));
    return c.kind == warehouse::Cell::Kind::kNull ? "-" : c.s;
  };
  // Freshness: when the newest loaded event was received, and how long ago.
  const std::string newest = scalar("SELECT MAX(received_at) FROM fact_ticket_event");
  auto newest_at = ParseRfc3339(newest);
  row("newest loaded event received",
      newest_at.ok() ? fmt::format("{} ({} s ago)", newest, (clock.Now() - *newest_at) / 1000000)
                     : newest);
  row("tickets", scalar("SELECT COUNT(*) FROM fact_ticket"));
  row("SLA clocks running", scalar("SELECT COUNT(*) FROM fact_sla WHERE status = 'active'"));
  row("SLA breached (all time)", scalar("SELECT COUNT(*) FROM fact_sla WHERE status = 'breached'"));
  row("dead letters open", Thousands(static_cast<uint64_t>(*open_letters)));
  for (const DestinationConfig& d : cfg->destinations) {
    size_t counts[2] = {0, 0};
    const char* states[2] = {"pending", "dead"};
    for (int k = 0; k < 2; ++k) {
      auto rows =
          (*log)->ListDeliveries({.destination = d.name, .state = states[k], .max = 1000000});
      if (!rows.ok()) return Fail("status", rows.status());
      counts[k] = rows->size();
    }
    row("destination " + d.name, fmt::format("{} pending, {} dead", counts[0], counts[1]));
  }
  PrintTable(t, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
