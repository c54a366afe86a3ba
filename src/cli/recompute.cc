// `supportpipe recompute`: re-derive every ticket's metrics and SLA rows from its stored
// timeline, after schedules or SLA policies changed.
#include <fmt/format.h>

#include <chrono>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/pipeline_driver.h"

namespace supportpipe::cli {

int RunRecompute(const RecomputeFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "recompute", "every ticket");
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  // The driver runs the SLA clocks here unless a server does, so the derived events of the
  // new rows are recorded before this returns.
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open the data directory", driver.status());
  const auto start = std::chrono::steady_clock::now();
  Progress progress("tickets recomputed");
  auto n = (*driver)->warehouse().RecomputeAll(
      [&](size_t done, size_t total) { progress.Update(done, done, done == total); });
  progress.Finish();
  if (!n.ok()) return Fail("recompute", n.status());
  if (Status st = (*driver)->WaitUntilLoaded(); !st.ok()) return Fail("recompute", st);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("recomputed %s tickets in %.1f s\n", Thousands(*n).c_str(), secs);
  return kExitOk;
}

}  // namespace supportpipe::cli
