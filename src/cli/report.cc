// `supportpipe report`: a day-by-day summary of a date range, from the warehouse.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/clock.h"
#include "server/backends.h"

namespace supportpipe::cli {
namespace {

bool IsDate(const std::string& d) {
  return d.size() == 10 && d[4] == '-' && d[7] == '-' &&
         std::all_of(d.begin(), d.end(), [](char c) { return std::isdigit(c) || c == '-'; });
}

// Nearest-rank percentile of sorted values (p in (0, 1]).
std::optional<int64_t> Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return std::nullopt;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

struct Day {
  int64_t created = 0, solved = 0, reopened = 0, backlog = 0, rated = 0, positive = 0;
  int64_t sla_met = 0, sla_breached = 0;  // SLA instances decided that day
  std::vector<int64_t> first_reply, resolution;
};

warehouse::Cell Minutes(const std::optional<int64_t>& s) {
  if (!s) return warehouse::Cell();
  warehouse::Cell c;
  c.kind = warehouse::Cell::Kind::kReal;
  c.d = std::round(static_cast<double>(*s) / 60.0 * 100) / 100;
  return c;
}

}  // namespace

int RunReport(const ReportFlags& flags) {
  auto cfg = ResolveConfigAudited(flags.storage, "report", flags.from + ".." + flags.to);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  if (!IsDate(flags.from) || !IsDate(flags.to) || flags.to <= flags.from) {
    return Fail("--from/--to", InvalidArgument("give two dates YYYY-MM-DD with --from before --to "
                                               "(the range is [from, to))"));
  }
  SystemClock clock;
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  const std::string range =
      fmt::format("day >= '{}' AND day < '{}'", flags.from, flags.to);  // checked above
  std::map<std::string, Day> days;
  auto each = [&](const std::string& sql, auto&& fn) -> Status {
    ASSIGN_OR_RETURN(warehouse::QueryResult r, (*wh)->Query(sql, 10000000));
    for (const auto& row : r.rows) fn(row);
    return Status::Ok();
  };
  auto num = [](const warehouse::Cell& c) {
    return c.kind == warehouse::Cell::Kind::kInt ? c.i : 0;
  };
  Status st = each("SELECT day, SUM(created) FROM daily_created WHERE " + range + " GROUP BY day",
                   [&](const auto& row) { days[row[0].s].created = num(row[1]); });
  if (st.ok()) {
    st = each(
        "SELECT day, SUM(solved), SUM(reopened) FROM daily_solved WHERE " + range + " GROUP BY day",
        [&](const auto& row) {
          days[row[0].s].solved = num(row[1]);
          days[row[0].s].reopened = num(row[2]);
        });
  }
  if (st.ok()) {
    st = each("SELECT day, SUM(backlog) FROM daily_backlog WHERE " + range + " GROUP BY day",
              [&](const auto& row) { days[row[0].s].backlog = num(row[1]); });
  }
  if (st.ok()) {
    st = each(
        "SELECT created_day, first_reply_s, full_resolution_s, csat_rating IS NOT NULL, "
        "COALESCE(csat_positive, 0) FROM fact_ticket WHERE created_day >= '" +
            flags.from + "' AND created_day < '" + flags.to + "'",
        [&](const auto& row) {
          Day& d = days[row[0].s];
          if (row[1].kind == warehouse::Cell::Kind::kInt) d.first_reply.push_back(row[1].i);
          if (row[2].kind == warehouse::Cell::Kind::kInt) d.resolution.push_back(row[2].i);
          d.rated += num(row[3]);
          d.positive += num(row[4]);
        });
  }
  if (st.ok()) {
    st = each(
        "SELECT day, SUM(fulfilled), SUM(breached) FROM daily_sla WHERE " + range + " GROUP BY day",
        [&](const auto& row) {
          days[row[0].s].sla_met = num(row[1]);
          days[row[0].s].sla_breached = num(row[2]);
        });
  }
  if (!st.ok()) return Fail("report", st);

  warehouse::QueryResult t;
  t.columns = {"day",
               "created",
               "solved",
               "reopened",
               "backlog",
               "first_reply_p50_min",
               "first_reply_p90_min",
               "resolution_p50_min",
               "resolution_p90_min",
               "csat_pct",
               "sla_met",
               "sla_breached",
               "sla_pct"};
  Day total;
  auto add_row = [&](const std::string& label, Day& d) {
    std::sort(d.first_reply.begin(), d.first_reply.end());
    std::sort(d.resolution.begin(), d.resolution.end());
    auto pct = [](int64_t part, int64_t whole) {
      warehouse::Cell c;
      if (whole) {
        c.kind = warehouse::Cell::Kind::kReal;
        c.d = std::round(10000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 100;
      }
      return c;
    };
    t.rows.push_back(
        {TextCell(label), IntCell(d.created), IntCell(d.solved), IntCell(d.reopened),
         IntCell(d.backlog), Minutes(Percentile(d.first_reply, 0.5)),
         Minutes(Percentile(d.first_reply, 0.9)), Minutes(Percentile(d.resolution, 0.5)),
         Minutes(Percentile(d.resolution, 0.9)), pct(d.positive, d.rated), IntCell(d.sla_met),
         IntCell(d.sla_breached), pct(d.sla_met, d.sla_met + d.sla_breached)});
  };
  for (auto& [day, d] : days) {
    add_row(day, d);
    total.created += d.created;
    total.solved += d.solved;
    total.reopened += d.reopened;
    total.backlog = d.backlog;  // at the end of the last day
    total.rated += d.rated;
    total.positive += d.positive;
    total.sla_met += d.sla_met;
    total.sla_breached += d.sla_breached;
    total.first_reply.insert(total.first_reply.end(), d.first_reply.begin(), d.first_reply.end());
    total.resolution.insert(total.resolution.end(), d.resolution.begin(), d.resolution.end());
  }
  add_row("total", total);
  PrintTable(t, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
