// `supportpipe reconcile`: the warehouse against the source of truth, ticket by ticket.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/pipeline_driver.h"
#include "cli/table.h"
#include "server/reconcile.h"
#include "sources/export_reader.h"

namespace supportpipe::cli {
namespace {

Result<server::Truth> FileTruth(const ReconcileFlags& flags, const SourceConfig& source) {
  const std::string name = flags.export_format.empty() ? "zendesk-tickets" : flags.export_format;
  const sources::ExportFormat* format = sources::FindExportFormat(name);
  if (!format || format->container.empty()) {
    return InvalidArgument(fmt::format("\"{}\" is not an export format (see import --help)", name),
                           "--export-format");
  }
  if (!format->vendor.empty() && format->vendor != source.vendor) {
    return InvalidArgument(fmt::format("{} is for {} sources; {} is a {} source", name,
                                       format->vendor, source.name, source.vendor),
                           "--export-format");
  }
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) return NotFound(fmt::format("--file: cannot read {}", flags.file));
  std::stringstream ss;
  ss << in.rdbuf();
  server::Truth truth{flags.file, std::string(sources::kExportPrefix) + std::string(name), {}};
  RETURN_IF_ERROR(sources::ReadExport(*format, ss.str(), [&](uint64_t, std::string item) {
    truth.items.push_back(std::move(item));
    return Status::Ok();
  }));
  return truth;
}

}  // namespace

int RunReconcile(const ReconcileFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "reconcile",
                                  fmt::format("source {} {}..{}{}", flags.source, flags.from,
                                              flags.to, flags.repair ? " repair" : ""));
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  const SourceConfig* source = cfg->FindSource(flags.source);
  if (!source) {
    return Fail("--source", NotFound(fmt::format("no [[source]] named \"{}\"", flags.source)));
  }
  auto range = ParseTimeRange(flags.from, flags.to);
  if (!range.ok()) return Fail("range", range.status());
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open storage", driver.status());
  PipelineDriver& d = **driver;
  auto truth = flags.file.empty()
                   ? server::ZendeskApiTruth(d.log(), *source, range->from, range->to)
                   : FileTruth(flags, *source);
  if (!truth.ok()) return Fail("reading the source of truth", truth.status());
  // Compare what is loaded: wait for anything still in flight first.
  if (Status st = d.WaitUntilLoaded(); !st.ok()) return Fail("waiting for the warehouse", st);
  server::Reconciler reconciler(d.log(), d.warehouse(), d.decoders(), d.clock());
  auto run = reconciler.Run(*source, *truth, range->from, range->to, flags.repair);
  if (!run.ok()) return Fail("reconcile", run.status());
  std::fprintf(
      stderr,
      "reconciled %s against %s: %lld tickets there, %lld here; %lld missing, %lld "
      "extra, %lld diverging%s\n",
      source->name.c_str(), truth->name.c_str(), static_cast<long long>(run->truth_tickets),
      static_cast<long long>(run->warehouse_tickets), static_cast<long long>(run->missing),
      static_cast<long long>(run->extra), static_cast<long long>(run->diverging),
      flags.repair
          ? fmt::format("; {} records sent through the pipeline to repair", run->repaired).c_str()
          : "");
  if (flags.repair && run->repaired > 0) {
    if (d.local()) d.worker().NotifyRaw();
    if (Status st = d.WaitUntilLoaded(); !st.ok()) return Fail("waiting for the repair", st);
  }
  // The differences, one row each.
  warehouse::QueryResult rows;
  rows.columns = {"ticket", "difference", "field", "truth", "warehouse"};
  for (const warehouse::ReconciliationDifference& x : run->differences) {
    rows.rows.push_back({TextCell(x.ticket), TextCell(x.difference),
                         x.field.empty() ? warehouse::Cell{} : TextCell(x.field), TextCell(x.truth),
                         TextCell(x.warehouse)});
  }
  PrintTable(rows, flags.format);
  const bool clean = run->missing == 0 && run->extra == 0 && run->diverging == 0;
  return clean || flags.repair ? kExitOk : kExitPartial;
}

}  // namespace supportpipe::cli
