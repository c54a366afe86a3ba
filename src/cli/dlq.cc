#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/pipeline_driver.h"
#include "cli/table.h"
#include "server/backends.h"
#include "warehouse/warehouse.h"

namespace supportpipe::cli {

int RunDlqList(const DlqFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "dlq.list", "state " + flags.state);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  if (flags.state != "open" && flags.state != "replayed" && flags.state != "all") {
    return Fail("--state", InvalidArgument("must be open, replayed or all"));
  }
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto letters = (*log)->ListDeadLetters(flags.state == "all" ? "" : flags.state, 0, flags.limit);
  if (!letters.ok()) return Fail("dlq list", letters.status());
  warehouse::QueryResult t;
  t.columns = {"id",   "state", "stage",  "source",   "raw_offset",
               "item", "field", "reason", "attempts", "created_at"};
  for (const auto& d : *letters) {
    t.rows.push_back({IntCell(d.id), TextCell(d.state), TextCell(d.stage), TextCell(d.source),
                      IntCell(static_cast<int64_t>(d.raw_offset)), IntCell(d.item),
                      TextCell(d.field), TextCell(d.reason), IntCell(d.attempts),
                      TextCell(FormatRfc3339(d.created_at))});
  }
  t.truncated = letters->size() == flags.limit;
  PrintTable(t, flags.format);
  return kExitOk;
}

int RunDlqShow(const DlqFlags& flags) {
  auto cfg =
      ResolveConfigAudited(flags.storage, "dlq.show", "dead letter " + std::to_string(flags.id));
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  auto d = (*log)->GetDeadLetter(flags.id);
  if (!d.ok()) return Fail("dlq show", d.status());
  if (!*d) return Fail("dlq show", NotFound(fmt::format("no dead letter with id {}", flags.id)));
  const auto& l = **d;
  std::printf("id:          %lld\nstate:       %s\nstage:       %s\nsource:      %s\n",
              static_cast<long long>(l.id), l.state.c_str(), l.stage.c_str(), l.source.c_str());
  std::printf("reason:      %s%s%s\nitem:        %lld (index of the event inside the raw record)\n",
              l.field.c_str(), l.field.empty() ? "" : ": ", l.reason.c_str(),
              static_cast<long long>(l.item));
  std::printf("attempts:    %lld\ncreated_at:  %s\nraw_offset:  %llu\n",
              static_cast<long long>(l.attempts), FormatRfc3339(l.created_at).c_str(),
              static_cast<unsigned long long>(l.raw_offset));
  auto raw = (*log)->GetRaw(l.raw_offset);
  if (raw.ok() && *raw) {
    std::printf("received_at: %s\ndelivery_id: %s\nheaders:     %s\nbody (%zu bytes):\n%s\n",
                FormatRfc3339((*raw)->received_at).c_str(), (*raw)->delivery_id.c_str(),
                (*raw)->headers.c_str(), (*raw)->body.size(), (*raw)->body.c_str());
  } else {
    std::printf("raw record:  no longer in the log\n");
  }
  return kExitOk;
}

int RunDlqReplay(const DlqFlags& flags) {
  auto cfg =
      ResolveConfigAudited(flags.storage, "dlq.replay",
                           flags.all ? "all open" : "dead letter " + std::to_string(flags.id));
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  if (!flags.all && flags.id <= 0)
    return Fail("dlq replay", InvalidArgument("give an ID or --all"));
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open storage", driver.status());
  std::vector<int64_t> ids;
  if (flags.all) {
    int64_t after = 0;
    for (;;) {
      auto page = (*driver)->log().ListDeadLetters("open", after, 1000);
      if (!page.ok()) return Fail("dlq replay", page.status());
      if (page->empty()) break;
      for (const auto& d : *page) ids.push_back(d.id);
      after = page->back().id;
    }
  } else {
    ids.push_back(flags.id);
  }
  size_t fixed = 0, still = 0;
  Progress progress("dead letters replayed", ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = (*driver)->worker().processor().ReplayDeadLetter(ids[i]);
    if (!r.ok()) return Fail(fmt::format("dlq replay {}", ids[i]), r.status());
    *r ? ++fixed : ++still;
    progress.Update(i + 1, i + 1);
  }
  progress.Finish();
  Status st = (*driver)->WaitUntilLoaded();
  if (!st.ok()) return Fail("waiting for the warehouse", st);
  std::fprintf(stderr,
               "%zu replayed and now loaded, %zu still failing (see `supportpipe dlq show ID`)\n",
               fixed, still);
  return still ? kExitPartial : kExitOk;
}

int RunReplay(const ReplayFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "replay",
                                  flags.source + " " + flags.from + ".." + flags.to);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  auto range = ParseTimeRange(flags.from, flags.to);
  if (!range.ok()) return Fail("replay", range.status());
  auto driver = PipelineDriver::Open(*cfg);
  if (!driver.ok()) return Fail("cannot open storage", driver.status());
  Progress progress("raw records replayed");
  auto r = (*driver)->worker().processor().Replay(
      flags.source, range->from, range->to,
      [&](const pipeline::ProcessResult& p) { progress.Update(p.records, p.records); });
  progress.Finish();
  if (!r.ok()) return Fail("replay", r.status());
  Status st = (*driver)->WaitUntilLoaded();
  if (!st.ok()) return Fail("waiting for the warehouse", st);
  std::fprintf(
      stderr,
      "replayed %zu raw records of %s: %zu events (%zu re-derived, %zu unchanged, %zu new), "
      "%zu failed (in the dead-letter queue)\n",
      r->records, flags.source.c_str(), r->events, r->replaced, r->duplicates, r->appended,
      r->failures.size());
  return r->failures.empty() ? kExitOk : kExitPartial;
}

}  // namespace supportpipe::cli
