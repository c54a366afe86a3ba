#include "warehouse/sqlite/sqlite_warehouse.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "common/sqlite_db.h"
#include "event/codec.h"
#include "warehouse/profiles.h"
#include "warehouse/ticket_state.h"

namespace supportpipe::warehouse {
namespace {

// Version 1 of the schema. Later versions add migrations after this one.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS _schema(version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _positions(
  consumer TEXT PRIMARY KEY,
  offset   INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _loads(
  load_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  consumer     TEXT NOT NULL,
  first_offset INTEGER NOT NULL,
  last_offset  INTEGER NOT NULL,
  events       INTEGER NOT NULL,
  inserted     INTEGER NOT NULL,
  replaced     INTEGER NOT NULL,
  skipped      INTEGER NOT NULL,
  tickets      INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  max_occurred_at TEXT);
CREATE TABLE IF NOT EXISTS fact_ticket_event(
  source       TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  ticket_id    TEXT NOT NULL,
  type         TEXT NOT NULL,
  occurred_at  TEXT NOT NULL,
  occurred_us  INTEGER NOT NULL,
  sequence     INTEGER NOT NULL,
  status_to    TEXT,
  received_at  TEXT,
  event_offset INTEGER NOT NULL,
  raw_offset   INTEGER NOT NULL,
  loaded_at    TEXT NOT NULL,
  ticket       TEXT,
  changes      TEXT,
  attributes   TEXT,
  PRIMARY KEY(source, event_id));
CREATE INDEX IF NOT EXISTS fact_ticket_event_timeline
  ON fact_ticket_event(source, ticket_id, occurred_us, sequence, event_id);
CREATE TABLE IF NOT EXISTS fact_message(
  source       TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  message_id   TEXT NOT NULL,
  ticket_id    TEXT NOT NULL,
  author_id    TEXT,
  author_role  TEXT NOT NULL,
  is_public    INTEGER NOT NULL,
  channel      TEXT,
  body         TEXT,
  occurred_at  TEXT NOT NULL,
  raw_offset   INTEGER NOT NULL,
  loaded_at    TEXT NOT NULL,
  PRIMARY KEY(source, event_id));
CREATE INDEX IF NOT EXISTS fact_message_by_ticket ON fact_message(source, ticket_id, occurred_at);
CREATE TABLE IF NOT EXISTS fact_ticket(
  source        TEXT NOT NULL,
  ticket_id     TEXT NOT NULL,
  status        TEXT,
  priority      TEXT,
  channel       TEXT,
  subject       TEXT,
  group_name    TEXT,
  assignee_id   TEXT,
  requester_id  TEXT,
  organization_id TEXT,
  brand         TEXT,
  tags          TEXT,
  custom_fields TEXT,
  merged_into   TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  created_us    INTEGER NOT NULL,
  created_seen  INTEGER NOT NULL,
  updated_us    INTEGER NOT NULL,
  event_count   INTEGER NOT NULL,
  last_occurred_us INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  event_id      TEXT NOT NULL,
  raw_offset    INTEGER NOT NULL,
  loaded_at     TEXT NOT NULL,
  PRIMARY KEY(source, ticket_id));
CREATE TABLE IF NOT EXISTS dim_customer(
  source       TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  email        TEXT,
  name         TEXT,
  phone        TEXT,
  organization_id TEXT,
  tier         TEXT,
  updated_at   TEXT NOT NULL,
  updated_us   INTEGER NOT NULL,
  event_id     TEXT NOT NULL,
  raw_offset   INTEGER NOT NULL,
  loaded_at    TEXT NOT NULL,
  PRIMARY KEY(source, customer_id));
CREATE TABLE IF NOT EXISTS dim_agent(
  source       TEXT NOT NULL,
  agent_id     TEXT NOT NULL,
  name         TEXT,
  email        TEXT,
  group_name   TEXT,
  updated_at   TEXT NOT NULL,
  updated_us   INTEGER NOT NULL,
  event_id     TEXT NOT NULL,
  raw_offset   INTEGER NOT NULL,
  loaded_at    TEXT NOT NULL,
  PRIMARY KEY(source, agent_id));
INSERT INTO _schema(version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM _schema);
)sql";

class SqliteWarehouse final : public Warehouse {
 public:
  SqliteWarehouse(std::unique_ptr<SqliteDb> writer, std::unique_ptr<SqliteDb> reader,
                  const Clock& clock)
      : w_(std::move(writer)), r_(std::move(reader)), clock_(clock) {}

  Result<LoadStats> Load(std::string_view consumer, std::span<const LoadItem> items,
                         uint64_t through) override {
    if (!w_) return PermissionDenied("the warehouse was opened read-only");
    std::lock_guard lock(wmu_);
    LoadStats stats;
    stats.events = items.size();
    const TimeMicros started = clock_.Now();
    const std::string loaded_at = FormatRfc3339(started);
    SqliteTxn txn(*w_);
    RETURN_IF_ERROR(txn.Begin());
    ASSIGN_OR_RETURN(const uint64_t pos, PositionLocked(*w_, consumer));

    // Per touched ticket: the batch's events, and whether the whole timeline must be
    // re-read (an event arrived before ones already folded, or was re-derived).
    struct Touched {
      std::vector<const LoadItem*> items;
      bool full = false;
    };
    std::map<std::pair<std::string, std::string>, Touched> touched;
    TimeMicros max_occurred = 0;
    for (const LoadItem& item : items) {
      if (item.offset <= pos) {
        ++stats.skipped;
        continue;
      }
      const event::Event& e = item.event;
      max_occurred = std::max(max_occurred, e.occurred_at);
      ASSIGN_OR_RETURN(bool inserted, InsertTimeline(item, loaded_at));
      inserted ? ++stats.inserted : ++stats.replaced;
      if (e.message && e.ticket) RETURN_IF_ERROR(UpsertMessage(item, loaded_at));
      if (e.ticket) {
        Touched& t = touched[{e.source, e.ticket->id}];
        t.items.push_back(&item);
        t.full = t.full || !inserted;
      }
    }
    const MergedProfiles profiles = MergeProfiles(items, pos);
    for (const auto& [key, p] : profiles.customers)
      RETURN_IF_ERROR(UpsertCustomer(key.first, p, loaded_at));
    for (const auto& [key, p] : profiles.agents)
      RETURN_IF_ERROR(UpsertAgent(key.first, p, loaded_at));
    for (auto& [key, t] : touched) {
      RETURN_IF_ERROR(Recompute(key.first, key.second, t.items, t.full, loaded_at));
      ++stats.tickets;
    }
    const uint64_t last = std::max<uint64_t>(through, items.empty() ? 0 : items.back().offset);
    ASSIGN_OR_RETURN(SqliteStmt * p,
                     w_->Prepare("INSERT INTO _positions(consumer, offset) VALUES(?, ?) ON "
                                 "CONFLICT(consumer) DO UPDATE SET offset = excluded.offset"));
    p->Bind(1, consumer).Bind(2, static_cast<int64_t>(std::max(last, pos)));
    RETURN_IF_ERROR(p->Run());
    if (!items.empty())
      RETURN_IF_ERROR(RecordLoad(consumer, items, stats, last, loaded_at, max_occurred));
    RETURN_IF_ERROR(txn.Commit());
    return stats;
  }

  Result<uint64_t> Position(std::string_view consumer) override {
    std::lock_guard lock(rmu_);
    return PositionLocked(*r_, consumer);
  }

  Result<QueryResult> Query(std::string_view sql, size_t max_rows) override {
    std::lock_guard lock(rmu_);
    ASSIGN_OR_RETURN(auto stmt, r_->PrepareOnce(sql));
    if (!stmt->ReadOnly())
      return InvalidArgument("only read-only SQL (SELECT, WITH ...) is allowed");
    QueryResult out;
    for (int i = 0; i < stmt->ColumnCount(); ++i) out.columns.push_back(stmt->ColumnName(i));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      if (out.rows.size() == max_rows) {
        out.truncated = true;
        break;
      }
      std::vector<Cell> cells(out.columns.size());
      for (int i = 0; i < stmt->ColumnCount(); ++i) {
        Cell& c = cells[i];
        switch (stmt->ColumnType(i)) {
          case SQLITE_NULL:
            break;
          case SQLITE_INTEGER:
            c.kind = Cell::Kind::kInt;
            c.i = stmt->Int(i);
            break;
          case SQLITE_FLOAT:
            c.kind = Cell::Kind::kReal;
            c.d = stmt->Double(i);
            break;
          default:
            c.kind = Cell::Kind::kText;
            c.s = stmt->Text(i);
            break;
        }
      }
      out.rows.push_back(std::move(cells));
    }
    return out;
  }

 private:
  Status RecordLoad(std::string_view consumer, std::span<const LoadItem> items,
                    const LoadStats& stats, uint64_t last, const std::string& loaded_at,
                    TimeMicros max_occurred) {
    ASSIGN_OR_RETURN(SqliteStmt * l,
                     w_->Prepare("INSERT INTO _loads(consumer, first_offset, last_offset, events, "
                                 "inserted, replaced, skipped, tickets, started_at, finished_at, "
                                 "max_occurred_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    l->Bind(1, consumer).Bind(2, static_cast<int64_t>(items.front().offset));
    l->Bind(3, static_cast<int64_t>(last)).Bind(4, static_cast<int64_t>(stats.events));
    l->Bind(5, static_cast<int64_t>(stats.inserted)).Bind(6, static_cast<int64_t>(stats.replaced));
    l->Bind(7, static_cast<int64_t>(stats.skipped)).Bind(8, static_cast<int64_t>(stats.tickets));
    l->Bind(9, loaded_at).Bind(10, FormatRfc3339(clock_.Now()));
    if (max_occurred) {
      l->Bind(11, FormatRfc3339(max_occurred));
    } else {
      l->BindNull(11);
    }
    RETURN_IF_ERROR(l->Run());
    return Status::Ok();
  }

  static Result<uint64_t> PositionLocked(SqliteDb& db, std::string_view consumer) {
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     db.Prepare("SELECT offset FROM _positions WHERE consumer = ?"));
    s->Bind(1, consumer);
    ASSIGN_OR_RETURN(bool row, s->Step());
    const uint64_t out = row ? static_cast<uint64_t>(s->Int(0)) : 0;
    s->Reset();
    return out;
  }

  // Inserts the timeline row; returns false when the event was already there (its row is
  // then rewritten with the re-derived payload).
  Result<bool> InsertTimeline(const LoadItem& item, const std::string& loaded_at) {
    // Insert first (the common case needs no lookup); a conflict means the event was
    // re-derived by a replay, and its row is rewritten.
    ASSIGN_OR_RETURN(
        SqliteStmt * ins,
        w_->Prepare("INSERT INTO fact_ticket_event(source, event_id, ticket_id, type, occurred_at, "
                    "occurred_us, sequence, status_to, received_at, event_offset, raw_offset, "
                    "loaded_at, ticket, changes, attributes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(source, event_id) DO NOTHING"));
    RETURN_IF_ERROR(BindTimeline(*ins, item, loaded_at));
    RETURN_IF_ERROR(ins->Run());
    if (w_->Changes() == 1) return true;
    ASSIGN_OR_RETURN(
        SqliteStmt * upd,
        w_->Prepare("INSERT INTO fact_ticket_event(source, event_id, ticket_id, type, occurred_at, "
                    "occurred_us, sequence, status_to, received_at, event_offset, raw_offset, "
                    "loaded_at, ticket, changes, attributes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(source, event_id) DO UPDATE SET ticket_id = excluded.ticket_id, "
                    "type = excluded.type, occurred_at = excluded.occurred_at, occurred_us = "
                    "excluded.occurred_us, sequence = excluded.sequence, status_to = "
                    "excluded.status_to, received_at = excluded.received_at, event_offset = "
                    "excluded.event_offset, raw_offset = excluded.raw_offset, loaded_at = "
                    "excluded.loaded_at, ticket = excluded.ticket, changes = excluded.changes, "
                    "attributes = excluded.attributes"));
    RETURN_IF_ERROR(BindTimeline(*upd, item, loaded_at));
    RETURN_IF_ERROR(upd->Run());
    return false;
  }

  static Status BindTimeline(SqliteStmt& s, const LoadItem& item, const std::string& loaded_at) {
    const event::Event& e = item.event;
    std::optional<std::string> status_to;
    if (const event::Change* c = e.FindChange("status")) status_to = c->to_text;
    if (e.type == "ticket.deleted") status_to = "deleted";
    s.Bind(1, e.source).Bind(2, e.id).Bind(3, std::string(e.TicketId())).Bind(4, e.type);
    s.Bind(5, FormatRfc3339(e.occurred_at)).Bind(6, e.occurred_at);
    s.Bind(7, e.sequence.value_or(0)).Bind(8, status_to);
    if (e.received_at) {
      s.Bind(9, FormatRfc3339(e.received_at));
    } else {
      s.BindNull(9);
    }
    s.Bind(10, static_cast<int64_t>(item.offset)).Bind(11, static_cast<int64_t>(item.raw_offset));
    s.Bind(12, loaded_at);
    // The ticket's part of the event, which is what re-folding a timeline needs; message
    // bodies and profiles live in their own tables.
    if (e.ticket) {
      s.Bind(13, event::EncodeTicket(*e.ticket));
    } else {
      s.BindNull(13);
    }
    if (!e.changes.empty()) {
      s.Bind(14, event::EncodeChanges(e.changes));
    } else {
      s.BindNull(14);
    }
    if (!e.attributes.empty()) {
      s.Bind(15, event::EncodeAttributes(e.attributes));
    } else {
      s.BindNull(15);
    }
    return Status::Ok();
  }

  Status UpsertMessage(const LoadItem& item, const std::string& loaded_at) {
    const event::Event& e = item.event;
    const event::Message& m = *e.message;
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        w_->Prepare("INSERT INTO fact_message(source, event_id, message_id, ticket_id, author_id, "
                    "author_role, is_public, channel, body, occurred_at, raw_offset, loaded_at) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, event_id) DO UPDATE SET "
                    "message_id = excluded.message_id, ticket_id = excluded.ticket_id, author_id "
                    "= excluded.author_id, author_role = excluded.author_role, is_public = "
                    "excluded.is_public, channel = excluded.channel, body = excluded.body, "
                    "occurred_at = excluded.occurred_at, raw_offset = excluded.raw_offset, "
                    "loaded_at = excluded.loaded_at"));
    s->Bind(1, e.source).Bind(2, e.id).Bind(3, m.id.value_or(e.id)).Bind(4, e.ticket->id);
    s->Bind(5, m.author).Bind(6, m.author_role.value_or("system"));
    s->Bind(7, static_cast<int64_t>(m.is_public)).Bind(8, m.channel).Bind(9, m.body);
    s->Bind(10, FormatRfc3339(e.occurred_at)).Bind(11, static_cast<int64_t>(item.raw_offset));
    s->Bind(12, loaded_at);
    return s->Run();
  }

  // Profiles: the newest fact wins; a late event never overwrites a newer profile, and
  // fields the event does not carry keep their value.
  Status UpsertCustomer(const std::string& source, const CustomerProfile& p,
                        const std::string& loaded_at) {
    const event::Customer& c = p.customer;
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        w_->Prepare("INSERT INTO dim_customer(source, customer_id, email, name, phone, "
                    "organization_id, tier, updated_at, updated_us, event_id, raw_offset, "
                    "loaded_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, customer_id) "
                    "DO UPDATE SET email = COALESCE(excluded.email, email), name = "
                    "COALESCE(excluded.name, name), phone = COALESCE(excluded.phone, phone), "
                    "organization_id = COALESCE(excluded.organization_id, organization_id), tier "
                    "= COALESCE(excluded.tier, tier), updated_at = excluded.updated_at, "
                    "updated_us = excluded.updated_us, event_id = excluded.event_id, raw_offset = "
                    "excluded.raw_offset, loaded_at = excluded.loaded_at WHERE excluded.updated_us "
                    ">= updated_us"));
    s->Bind(1, source).Bind(2, c.id).Bind(3, c.email).Bind(4, c.name).Bind(5, c.phone);
    s->Bind(6, c.organization).Bind(7, c.tier).Bind(8, FormatRfc3339(p.updated_at));
    s->Bind(9, p.updated_at).Bind(10, p.event_id).Bind(11, static_cast<int64_t>(p.raw_offset));
    s->Bind(12, loaded_at);
    return s->Run();
  }

  Status UpsertAgent(const std::string& source, const AgentProfile& p,
                     const std::string& loaded_at) {
    const event::Agent& a = p.agent;
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        w_->Prepare("INSERT INTO dim_agent(source, agent_id, name, email, group_name, updated_at, "
                    "updated_us, event_id, raw_offset, loaded_at) VALUES(?,?,?,?,?,?,?,?,?,?) ON "
                    "CONFLICT(source, agent_id) DO UPDATE SET name = COALESCE(excluded.name, "
                    "name), email = COALESCE(excluded.email, email), group_name = "
                    "COALESCE(excluded.group_name, group_name), updated_at = excluded.updated_at, "
                    "updated_us = excluded.updated_us, event_id = excluded.event_id, raw_offset = "
                    "excluded.raw_offset, loaded_at = excluded.loaded_at WHERE excluded.updated_us "
                    ">= updated_us"));
    s->Bind(1, source).Bind(2, a.id).Bind(3, a.name).Bind(4, a.email).Bind(5, a.group);
    s->Bind(6, FormatRfc3339(p.updated_at)).Bind(7, p.updated_at).Bind(8, p.event_id);
    s->Bind(9, static_cast<int64_t>(p.raw_offset)).Bind(10, loaded_at);
    return s->Run();
  }

  Result<std::optional<TicketState>> ReadTicket(const std::string& source, const std::string& id) {
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        w_->Prepare("SELECT status, priority, channel, subject, group_name, assignee_id, "
                    "requester_id, organization_id, brand, tags, custom_fields, merged_into, "
                    "created_us, created_seen, updated_us, event_count, last_occurred_us, "
                    "last_sequence, event_id, raw_offset FROM fact_ticket WHERE source = ? AND "
                    "ticket_id = ?"));
    s->Bind(1, source).Bind(2, id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      s->Reset();
      return std::optional<TicketState>();
    }
    TicketState t;
    t.source = source;
    t.ticket_id = id;
    t.status = s->OptText(0);
    t.priority = s->OptText(1);
    t.channel = s->OptText(2);
    t.subject = s->OptText(3);
    t.group = s->OptText(4);
    t.assignee = s->OptText(5);
    t.requester = s->OptText(6);
    t.organization = s->OptText(7);
    t.brand = s->OptText(8);
    if (!s->IsNull(9)) t.tags = event::DecodeStringList(s->Text(9));
    t.custom_fields = s->Text(10);
    t.merged_into = s->OptText(11);
    t.created_at = s->Int(12);
    t.created_seen = s->Int(13) != 0;
    t.updated_at = s->Int(14);
    t.event_count = s->Int(15);
    t.last = {s->Int(16), s->Int(17), std::string(s->Text(18))};
    t.last_raw_offset = static_cast<uint64_t>(s->Int(19));
    s->Reset();
    return std::optional<TicketState>(std::move(t));
  }

  Status Recompute(const std::string& source, const std::string& ticket_id,
                   std::vector<const LoadItem*>& items, bool full, const std::string& loaded_at) {
    std::sort(items.begin(), items.end(), [](const LoadItem* a, const LoadItem* b) {
      return TimelineKey::Of(a->event) < TimelineKey::Of(b->event);
    });
    ASSIGN_OR_RETURN(std::optional<TicketState> current, ReadTicket(source, ticket_id));
    TicketState state;
    if (current && !full && current->last < TimelineKey::Of(items.front()->event)) {
      // The common case: everything new comes after what is folded. Apply on top.
      state = std::move(*current);
      for (const LoadItem* item : items) Apply(state, item->event, item->raw_offset);
    } else if (!current && !full) {
      state.source = source;
      state.ticket_id = ticket_id;
      for (const LoadItem* item : items) Apply(state, item->event, item->raw_offset);
    } else {
      // Late, out-of-order or re-derived: fold the whole timeline again.
      state = TicketState();
      state.source = source;
      state.ticket_id = ticket_id;
      ASSIGN_OR_RETURN(
          SqliteStmt * s,
          w_->Prepare("SELECT json_object('spec', 'supportpipe/v1', 'id', event_id, "
                      "'type', type, 'occurred_at', occurred_at, 'sequence', sequence, "
                      "'ticket', json(ticket), 'changes', json(changes), 'attributes', "
                      "json(attributes)), raw_offset FROM fact_ticket_event WHERE "
                      "source = ? AND ticket_id = ? ORDER BY occurred_us, sequence, "
                      "event_id"));
      s->Bind(1, source).Bind(2, ticket_id);
      for (;;) {
        ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        auto e = event::DecodeCanonical(s->Text(0), {.trusted = true});
        if (!e.ok()) {
          s->Reset();
          return DataLoss("stored timeline event does not decode: " + e.status().ToString());
        }
        Apply(state, *e, static_cast<uint64_t>(s->Int(1)));
      }
      s->Reset();
    }
    return WriteTicket(state, loaded_at);
  }

  Status WriteTicket(const TicketState& t, const std::string& loaded_at) {
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        w_->Prepare(
            "INSERT INTO fact_ticket(source, ticket_id, status, priority, "
            "channel, subject, group_name, assignee_id, requester_id, organization_id, "
            "brand, tags, custom_fields, merged_into, created_at, updated_at, created_us, "
            "created_seen, updated_us, event_count, last_occurred_us, last_sequence, "
            "event_id, raw_offset, loaded_at) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, "
            "ticket_id) "
            "DO UPDATE SET status = excluded.status, priority = excluded.priority, channel = "
            "excluded.channel, subject = excluded.subject, group_name = excluded.group_name, "
            "assignee_id = excluded.assignee_id, requester_id = excluded.requester_id, "
            "organization_id = excluded.organization_id, brand = excluded.brand, tags = "
            "excluded.tags, custom_fields = excluded.custom_fields, merged_into = "
            "excluded.merged_into, created_at = excluded.created_at, updated_at = "
            "excluded.updated_at, created_us = excluded.created_us, created_seen = "
            "excluded.created_seen, updated_us = excluded.updated_us, event_count = "
            "excluded.event_count, last_occurred_us = excluded.last_occurred_us, "
            "last_sequence = excluded.last_sequence, event_id = excluded.event_id, "
            "raw_offset = excluded.raw_offset, loaded_at = excluded.loaded_at"));
    s->Bind(1, t.source).Bind(2, t.ticket_id).Bind(3, t.status).Bind(4, t.priority);
    s->Bind(5, t.channel).Bind(6, t.subject).Bind(7, t.group).Bind(8, t.assignee);
    s->Bind(9, t.requester).Bind(10, t.organization).Bind(11, t.brand);
    if (t.tags) {
      s->Bind(12, event::EncodeStringList(*t.tags));
    } else {
      s->BindNull(12);
    }
    if (t.custom_fields.empty()) {
      s->BindNull(13);
    } else {
      s->Bind(13, t.custom_fields);
    }
    s->Bind(14, t.merged_into).Bind(15, FormatRfc3339(t.created_at));
    s->Bind(16, FormatRfc3339(t.updated_at)).Bind(17, t.created_at);
    s->Bind(18, static_cast<int64_t>(t.created_seen)).Bind(19, t.updated_at);
    s->Bind(20, t.event_count).Bind(21, t.last.occurred_at).Bind(22, t.last.sequence);
    s->Bind(23, t.last.event_id).Bind(24, static_cast<int64_t>(t.last_raw_offset));
    s->Bind(25, loaded_at);
    return s->Run();
  }

  std::mutex wmu_;
  std::unique_ptr<SqliteDb> w_;  // null when read-only
  std::mutex rmu_;
  std::unique_ptr<SqliteDb> r_;
  const Clock& clock_;
};

}  // namespace

Result<std::unique_ptr<Warehouse>> OpenSqliteWarehouse(const std::string& path, const Clock& clock,
                                                       const SqliteWarehouseOptions& options) {
  std::unique_ptr<SqliteDb> writer;
  if (!options.read_only) {
    // synchronous=NORMAL: the warehouse is derived from the durable event log, and its
    // position commits with its rows, so a lost tail is re-loaded, never half-applied.
    ASSIGN_OR_RETURN(writer, SqliteDb::Open(path, {.full_sync = false}));
    RETURN_IF_ERROR(writer->Exec(kSchemaV1));
  }
  ASSIGN_OR_RETURN(auto reader, SqliteDb::Open(path, {.read_only = true, .cache_mib = 8}));
  return std::unique_ptr<Warehouse>(
      new SqliteWarehouse(std::move(writer), std::move(reader), clock));
}

}  // namespace supportpipe::warehouse
