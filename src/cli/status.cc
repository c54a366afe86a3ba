// `supportpipe status`: the pipeline's health in the terminal — whether the server answers,
// how far each stage lags, what waits in the dead-letter queue and the outbox, how fresh the
// warehouse is, and the SLA clocks. Counts only: no personal data.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/ascii.h"
#include "common/clock.h"
#include "intake/http_client.h"
#include "server/backends.h"
#include "server/health.h"

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
  SystemClock clock;
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto h = server::ReadHealth(**log, **wh, *cfg, clock.Now());
  if (!h.ok()) return Fail("status", h.status());
  auto count = [](int64_t n) { return Thousands(static_cast<uint64_t>(std::max<int64_t>(n, 0))); };
  const StorageConfig& st = cfg->storage;
  row("log", st.jetstream()
                 ? fmt::format("NATS JetStream {} (streams {}_RAW/_EVENTS), shared state in "
                               "PostgreSQL",
                               st.log, AsciiUpper(st.log_name))
                 : "SQLite in " + st.data_dir);
  row("warehouse", st.pg_warehouse() ? "PostgreSQL " + server::WarehouseLocation(st)
                                     : "SQLite " + server::WarehouseLocation(st));
  row("raw records", Thousands(h->raw_last));
  row("events", Thousands(h->events_last));
  for (const server::ConsumerLag& l : h->lags) {
    row(fmt::format("{} lag", l.consumer),
        l.records ? fmt::format("{} {} (oldest waiting {:.1f} s)", Thousands(l.records),
                                l.stream == "raw" ? "records" : "events", l.seconds)
                  : "0");
  }
  // Freshness: when the newest loaded event was received, and how long ago.
  row("newest loaded event received",
      h->newest_loaded_received_at
          ? fmt::format("{} ({:.0f} s ago)", FormatRfc3339(*h->newest_loaded_received_at),
                        *h->FreshnessSeconds())
          : "-");
  row("tickets", count(h->tickets));
  row("SLA clocks running", count(h->sla_active));
  row("SLA clocks at risk", count(h->sla_at_risk));
  row("SLA breached (all time)", count(h->sla_breached));
  row("dead letters open", count(h->dead_letters_open));
  for (const server::DestinationHealth& d : h->destinations) {
    row("destination " + d.name,
        fmt::format("{} pending{}, {} dead", d.pending,
                    d.pending ? fmt::format(" (oldest {:.0f} s)", d.oldest_pending_s) : "",
                    d.dead));
  }
  PrintTable(t, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
