// `supportpipe sync`: pulls a Zendesk account's incremental ticket export through the API.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/pipeline_driver.h"
#include "sync/zendesk_sync.h"

namespace supportpipe::cli {

int RunSync(const SyncFlags& flags) {
  auto cfg = ResolveConfig(flags.storage);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  const SourceConfig* source = cfg->FindSource(flags.source);
  if (!source) {
    return Fail("--source",
                NotFound(fmt::format("no [[source]] named \"{}\" in the config", flags.source)));
  }
  if (source->vendor != "zendesk" || source->api_url.empty()) {
    return Fail("--source",
                InvalidArgument(fmt::format("source \"{}\" cannot be synced: sync needs a "
                                            "zendesk source with api_url and api_token_env",
                                            flags.source)));
  }
  int64_t start_time = 0;
  if (!flags.start.empty()) {
    auto t = ParseTimeOrDate(flags.start);
    if (!t.ok()) return Fail("--start", t.status());
    start_time = *t / 1000000;
  }
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open storage", driver.status());
  sync::ZendeskSync zendesk((*driver)->log(), {.source = source->name,
                                               .api_url = source->api_url,
                                               .authorization = sync::ZendeskAuthorization(
                                                   source->api_email, *source->api_token),
                                               .start_time = start_time,
                                               .max_pages = flags.max_pages});
  // Progress through time: from the first ticket's update to now, the export's end.
  std::optional<Progress> progress;
  int64_t first = 0;
  const int64_t now_s = SystemClock().Now() / 1000000;
  PipelineDriver* d = driver->get();
  auto result = zendesk.Run([&](const sync::SyncProgress& p) {
    if (d->local()) d->worker().NotifyRaw();
    if (!progress && p.reached > 0) {
      first = p.reached;
      progress.emplace("tickets", static_cast<uint64_t>(std::max<int64_t>(now_s - first, 1)));
    }
    if (progress) {
      progress->Update(static_cast<uint64_t>(std::max<int64_t>(p.reached - first, 0)),
                       static_cast<uint64_t>(p.tickets));
    }
  });
  if (progress) progress->Finish();
  if (!result.ok()) {
    return Fail("sync " + source->name + " (the next run resumes from the last stored page)",
                result.status());
  }
  std::fprintf(stderr,
               "synced %s: %s pages, %s tickets (%s new, %s already stored), %s waits for the "
               "rate limit or retries%s\n",
               source->name.c_str(), Thousands(result->pages).c_str(),
               Thousands(result->tickets).c_str(), Thousands(result->stored).c_str(),
               Thousands(result->duplicates).c_str(), Thousands(result->waits).c_str(),
               result->end_of_stream ? "; caught up" : "");
  if (!flags.no_wait) {
    Status st = (*driver)->WaitUntilLoaded();
    if (!st.ok()) return Fail("waiting for the warehouse", st);
  }
  return kExitOk;
}

}  // namespace supportpipe::cli
