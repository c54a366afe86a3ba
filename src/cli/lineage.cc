// `supportpipe lineage --ticket ID`: for each warehouse row of a ticket, the canonical event it
// came from and the raw delivery that event came from.
#include <fmt/format.h>

#include <map>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/sqlite_db.h"
#include "server/backends.h"

namespace supportpipe::cli {
namespace {

std::string Text(const warehouse::Cell& c) {
  return c.kind == warehouse::Cell::Kind::kInt ? std::to_string(c.i) : c.s;
}

struct Origin {
  std::string event_id, type, occurred_at, event_offset, raw_offset, received_at, delivery_id, via;
};

}  // namespace

int RunLineage(const LineageFlags& flags) {
  auto cfg = ResolveConfigAudited(
      flags.storage, "lineage",
      "ticket " + (flags.source.empty() ? "" : flags.source + "/") + flags.ticket);
  if (!cfg.ok()) return Fail("configuration", cfg.status());
  SystemClock clock;
  auto wh = server::OpenWarehouse(cfg->storage, clock, /*read_only=*/true);
  if (!wh.ok()) return Fail("cannot open the warehouse", wh.status());
  auto log = server::OpenEventLog(*cfg);
  if (!log.ok()) return Fail("cannot open the log", log.status());
  const std::string where =
      "ticket_id = " + SqlLiteral(flags.ticket) +
      (flags.source.empty() ? "" : " AND source = " + SqlLiteral(flags.source));
  auto query = [&](const std::string& sql) { return (*wh)->Query(sql, 100000); };

  // Every timeline event, with where it came from.
  auto events = query(
      "SELECT source, event_id, type, occurred_at, event_offset, raw_offset, "
      "json_extract(attributes, '$.rule'), occurred_us, status_to FROM fact_ticket_event WHERE " +
      where + " ORDER BY source, occurred_us, sequence, event_id");
  if (!events.ok()) return Fail("lineage", events.status());
  if (events->rows.empty()) {
    return Fail("lineage", NotFound("no ticket " + flags.ticket + " in the warehouse"));
  }
  std::map<std::pair<std::string, std::string>, Origin> by_id;  // (source, event id)
  std::vector<std::pair<std::string, Origin>> rows;             // (warehouse row, origin)
  for (const auto& r : events->rows) {
    Origin o{r[1].s, r[2].s, r[3].s, Text(r[4]), Text(r[5]), "", "", ""};
    const int64_t raw = r[5].i;
    if (raw == 0) {
      if (r[6].kind == warehouse::Cell::Kind::kText) {
        o.via = "derived: rule " + r[6].s;
      } else {
        o.via = o.type.rfind("sla.", 0) == 0 ? "derived: SLA clock" : "derived by supportpipe";
      }
    } else {
      auto rec = (*log)->GetRaw(static_cast<log::Offset>(raw));
      if (!rec.ok()) return Fail("lineage", rec.status());
      if (*rec) {
        o.received_at = FormatRfc3339((*rec)->received_at);
        o.delivery_id = (*rec)->delivery_id;
        o.via = (*rec)->kind + " (" + (*rec)->vendor + ")";
      } else {
        o.via = "raw record purged";
      }
    }
    by_id[{r[0].s, r[1].s}] = o;
    rows.emplace_back(r[0].s + " fact_ticket_event", o);
  }
  auto origin = [&](const std::string& source, const std::string& id) {
    auto it = by_id.find({source, id});
    return it == by_id.end() ? Origin{id, "", "", "", "", "", "", "not in the timeline"}
                             : it->second;
  };
  // The rows each event wrote.
  auto tickets = query("SELECT source, event_id, event_count FROM fact_ticket WHERE " + where);
  auto messages = query("SELECT source, event_id, message_id FROM fact_message WHERE " + where);
  auto changes = query(
      "SELECT c.source, c.n, c.from_status, c.to_status, (SELECT e.event_id FROM "
      "fact_ticket_event e WHERE e.source = c.source AND e.ticket_id = c.ticket_id AND "
      "e.occurred_us = c.changed_us AND e.status_to = c.to_status ORDER BY e.sequence DESC, "
      "e.event_id DESC LIMIT 1) FROM fact_status_change c WHERE " +
      where + " ORDER BY c.source, c.n");
  auto slas = query(
      "SELECT s.source, s.metric, s.instance, s.status, (SELECT e.event_id FROM "
      "fact_ticket_event e WHERE e.source = s.source AND e.ticket_id = s.ticket_id AND "
      "e.event_id LIKE s.ticket_id || ':sla:' || s.metric || ':' || s.instance || ':%' ORDER BY "
      "e.occurred_us DESC LIMIT 1) FROM fact_sla s WHERE " +
      where + " ORDER BY s.source, s.metric, s.instance");
  for (const auto* q : {&tickets, &messages, &changes, &slas}) {
    if (!q->ok()) return Fail("lineage", q->status());
  }
  for (const auto& r : tickets->rows) {
    rows.emplace_back(
        fmt::format("{} fact_ticket (folded from {} events; last:)", r[0].s, Text(r[2])),
        origin(r[0].s, r[1].s));
  }
  for (const auto& r : messages->rows) {
    rows.emplace_back(r[0].s + " fact_message " + r[2].s, origin(r[0].s, r[1].s));
  }
  for (const auto& r : changes->rows) {
    rows.emplace_back(
        fmt::format("{} fact_status_change {} {}->{}", r[0].s, Text(r[1]), r[2].s, r[3].s),
        origin(r[0].s, r[4].s));
  }
  for (const auto& r : slas->rows) {
    const std::string row =
        fmt::format("{} fact_sla {} #{} {}", r[0].s, r[1].s, Text(r[2]), r[3].s);
    if (r[4].kind == warehouse::Cell::Kind::kText) {
      rows.emplace_back(row, origin(r[0].s, r[4].s));
    } else {
      rows.emplace_back(row, Origin{"", "", "", "", "", "", "", "folded from the timeline"});
    }
  }
  warehouse::QueryResult t;
  t.columns = {"row",        "event_id",    "type",        "occurred_at", "event_offset",
               "raw_offset", "received_at", "delivery_id", "via"};
  for (const auto& [row, o] : rows) {
    t.rows.push_back({TextCell(row), TextCell(o.event_id), TextCell(o.type),
                      TextCell(o.occurred_at), TextCell(o.event_offset), TextCell(o.raw_offset),
                      TextCell(o.received_at), TextCell(o.delivery_id), TextCell(o.via)});
  }
  PrintTable(t, flags.format);
  return kExitOk;
}

}  // namespace supportpipe::cli
