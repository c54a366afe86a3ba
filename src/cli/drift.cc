// `supportpipe drift`: fields outside each source's known shape, kept under attributes.
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "server/backends.h"

namespace supportpipe::cli {

int RunDrift(const DriftFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto fields = (*log)->ListDrift(flags.source);
  if (!fields.ok()) return Fail("drift", fields.status());
  warehouse::QueryResult t;
  t.columns = {"source", "field", "events", "first_seen", "last_seen", "last_event_id"};
  for (const auto& f : *fields) {
    t.rows.push_back({TextCell(f.source), TextCell(f.field), IntCell(f.count),
                      TextCell(FormatRfc3339(f.first_seen)), TextCell(FormatRfc3339(f.last_seen)),
                      TextCell(f.last_event_id)});
  }
  PrintTable(t, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
