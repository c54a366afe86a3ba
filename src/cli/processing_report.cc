// `supportpipe processing-report`: the record of processing, in Markdown or JSON, from the
// config and the data directory (counts only; the access is on record in the audit log).
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/clock.h"
#include "server/backends.h"
#include "server/processing_report.h"

namespace supportpipe::cli {

int RunProcessingReport(const ProcessingReportFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "processing-report", flags.format);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  SystemClock clock;
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto store = server::OpenSecurityStore(cfg->storage);
  if (!store.ok()) return Fail("cannot open the security store", store.status());
  auto report = server::BuildProcessingReport(*cfg, **log, **wh, **store, clock.Now());
  if (!report.ok()) return Fail("processing report", report.status());
  const std::string text =
      flags.format == "json" ? server::RenderJson(*report) : server::RenderMarkdown(*report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace supportpipe::cli
