#include "warehouse/sqlite/sqlite_warehouse.h"

#include <algorithm>
#include <iterator>

#include "common/sqlite_db.h"
#include "warehouse/sql_warehouse.h"

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

// Version 2: what the metrics engine needs on the timeline (a message's role and
// visibility, a rating), and the per-ticket metrics (docs/metrics.md). Roles of existing
// messages are filled from fact_message; ratings loaded before v2 need a `replay`.
constexpr const char* kMigrationV2 = R"sql(
ALTER TABLE fact_ticket_event ADD COLUMN author_role TEXT;
ALTER TABLE fact_ticket_event ADD COLUMN is_public INTEGER;
ALTER TABLE fact_ticket_event ADD COLUMN csat_rating TEXT;
UPDATE fact_ticket_event SET author_role = m.author_role, is_public = m.is_public
  FROM fact_message m WHERE m.source = fact_ticket_event.source AND
  m.event_id = fact_ticket_event.event_id;
ALTER TABLE fact_ticket ADD COLUMN schedule TEXT;
ALTER TABLE fact_ticket ADD COLUMN agent_created INTEGER;
ALTER TABLE fact_ticket ADD COLUMN first_reply_at TEXT;
ALTER TABLE fact_ticket ADD COLUMN first_reply_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN first_reply_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN first_solved_at TEXT;
ALTER TABLE fact_ticket ADD COLUMN first_resolution_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN first_resolution_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN last_solved_at TEXT;
ALTER TABLE fact_ticket ADD COLUMN full_resolution_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN full_resolution_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN reopens INTEGER;
ALTER TABLE fact_ticket ADD COLUMN agent_replies INTEGER;
ALTER TABLE fact_ticket ADD COLUMN customer_messages INTEGER;
ALTER TABLE fact_ticket ADD COLUMN internal_notes INTEGER;
ALTER TABLE fact_ticket ADD COLUMN requester_wait_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN requester_wait_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN agent_work_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN agent_work_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN agent_wait_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN agent_wait_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN on_hold_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN on_hold_business_s INTEGER;
ALTER TABLE fact_ticket ADD COLUMN assignee_stations INTEGER;
ALTER TABLE fact_ticket ADD COLUMN group_stations INTEGER;
ALTER TABLE fact_ticket ADD COLUMN resolution_touches INTEGER;
ALTER TABLE fact_ticket ADD COLUMN csat_rating TEXT;
ALTER TABLE fact_ticket ADD COLUMN csat_positive INTEGER;
UPDATE _schema SET version = 2;
)sql";

// Version 3: days in [reporting] time_zone and the status changes, for the daily views.
constexpr const char* kMigrationV3 = R"sql(
ALTER TABLE fact_ticket ADD COLUMN initial_status TEXT;
ALTER TABLE fact_ticket ADD COLUMN created_day TEXT;
CREATE TABLE fact_status_change(
  source      TEXT NOT NULL,
  ticket_id   TEXT NOT NULL,
  n           INTEGER NOT NULL,
  changed_at  TEXT NOT NULL,
  changed_us  INTEGER NOT NULL,
  day         TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status   TEXT NOT NULL,
  is_solve    INTEGER NOT NULL,
  is_reopen   INTEGER NOT NULL,
  PRIMARY KEY(source, ticket_id, n));
CREATE INDEX fact_status_change_by_day ON fact_status_change(day);
CREATE VIEW daily_created AS
  SELECT created_day AS day, channel, group_name, assignee_id, COUNT(*) AS created
  FROM fact_ticket WHERE created_day IS NOT NULL GROUP BY 1, 2, 3, 4;
CREATE VIEW daily_solved AS
  SELECT c.day, t.channel, t.group_name, t.assignee_id, SUM(c.is_solve) AS solved,
         SUM(c.is_reopen) AS reopened
  FROM fact_status_change c JOIN fact_ticket t USING (source, ticket_id)
  GROUP BY 1, 2, 3, 4 HAVING SUM(c.is_solve) > 0 OR SUM(c.is_reopen) > 0;
CREATE VIEW daily_backlog AS
  WITH RECURSIVE days(day) AS (
    SELECT MIN(created_day) FROM fact_ticket WHERE created_day IS NOT NULL
    UNION ALL
    SELECT date(day, '+1 day') FROM days
    WHERE day < MAX(date('now'), (SELECT MAX(day) FROM fact_status_change)))
  SELECT d.day, t.channel, t.group_name, t.assignee_id, COUNT(*) AS backlog
  FROM days d JOIN fact_ticket t ON t.created_day <= d.day
  WHERE COALESCE((SELECT c.to_status FROM fact_status_change c
                  WHERE c.source = t.source AND c.ticket_id = t.ticket_id AND c.day <= d.day
                  ORDER BY c.n DESC LIMIT 1), t.initial_status)
        NOT IN ('solved', 'closed', 'deleted')
  GROUP BY 1, 2, 3, 4;
CREATE VIEW daily_csat AS
  SELECT created_day AS day, channel, group_name, assignee_id, COUNT(csat_rating) AS rated,
         SUM(csat_positive) AS positive,
         ROUND(100.0 * SUM(csat_positive) / COUNT(csat_rating), 2) AS csat_pct
  FROM fact_ticket WHERE csat_rating IS NOT NULL GROUP BY 1, 2, 3, 4;
UPDATE _schema SET version = 3;
)sql";

// Version 4: SLA instances (docs/metrics.md#sla-policies-and-clocks), the customer facts
// their tier rule reads, and the views of durations and SLA attainment.
constexpr const char* kMigrationV4 = R"sql(
ALTER TABLE fact_ticket_event ADD COLUMN customer_id TEXT;
ALTER TABLE fact_ticket_event ADD COLUMN customer_tier TEXT;
CREATE INDEX fact_ticket_event_by_customer ON fact_ticket_event(source, customer_id, occurred_us)
  WHERE customer_id IS NOT NULL;
CREATE INDEX fact_ticket_by_requester ON fact_ticket(source, requester_id);
ALTER TABLE fact_ticket ADD COLUMN customer_tier TEXT;
ALTER TABLE fact_ticket ADD COLUMN sla_breaches INTEGER;
CREATE TABLE fact_sla(
  source         TEXT NOT NULL,
  ticket_id      TEXT NOT NULL,
  policy         TEXT NOT NULL,
  metric         TEXT NOT NULL,
  instance       INTEGER NOT NULL,
  target_s       INTEGER NOT NULL,
  business_hours INTEGER NOT NULL,
  applied_at     TEXT NOT NULL,
  due_at         TEXT,
  fulfilled_at   TEXT,
  breached_at    TEXT,
  warning_at     TEXT,
  elapsed_s      INTEGER NOT NULL,
  status         TEXT NOT NULL,
  decided_day    TEXT,
  computed_at    TEXT NOT NULL,
  change_seq     INTEGER NOT NULL,
  loaded_at      TEXT NOT NULL,
  PRIMARY KEY(source, ticket_id, metric, instance));
CREATE INDEX fact_sla_by_change ON fact_sla(change_seq);
CREATE INDEX fact_ticket_event_creations ON fact_ticket_event(occurred_us)
  WHERE type = 'ticket.created';
CREATE INDEX fact_sla_active ON fact_sla(status) WHERE status = 'active';
CREATE VIEW daily_sla AS
  SELECT s.decided_day AS day, t.channel, t.group_name, t.assignee_id, s.policy, s.metric,
         SUM(s.status = 'fulfilled') AS fulfilled, SUM(s.status = 'breached') AS breached,
         ROUND(100.0 * SUM(s.status = 'fulfilled') / COUNT(*), 2) AS attainment_pct
  FROM fact_sla s JOIN fact_ticket t USING (source, ticket_id)
  WHERE s.status IN ('fulfilled', 'breached') GROUP BY 1, 2, 3, 4, 5, 6;
CREATE VIEW daily_durations AS
  WITH v AS (
    SELECT created_day AS day, channel, group_name, assignee_id, 'first_reply' AS metric,
           first_reply_s AS s, first_reply_business_s AS bs
    FROM fact_ticket WHERE first_reply_s IS NOT NULL AND created_day IS NOT NULL
    UNION ALL
    SELECT created_day, channel, group_name, assignee_id, 'first_resolution',
           first_resolution_s, first_resolution_business_s
    FROM fact_ticket WHERE first_resolution_s IS NOT NULL AND created_day IS NOT NULL
    UNION ALL
    SELECT created_day, channel, group_name, assignee_id, 'full_resolution',
           full_resolution_s, full_resolution_business_s
    FROM fact_ticket WHERE full_resolution_s IS NOT NULL AND created_day IS NOT NULL),
  r AS (
    SELECT *,
      ROW_NUMBER() OVER (PARTITION BY day, channel, group_name, assignee_id, metric
                         ORDER BY s) AS rn,
      ROW_NUMBER() OVER (PARTITION BY day, channel, group_name, assignee_id, metric
                         ORDER BY bs) AS brn,
      COUNT(*) OVER (PARTITION BY day, channel, group_name, assignee_id, metric) AS n
    FROM v)
  SELECT day, channel, group_name, assignee_id, metric, n AS tickets,
         MAX(CASE WHEN rn = (n + 1) / 2 THEN s END) AS p50_s,
         MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN s END) AS p90_s,
         MAX(CASE WHEN brn = (n + 1) / 2 THEN bs END) AS p50_business_s,
         MAX(CASE WHEN brn = (9 * n + 9) / 10 THEN bs END) AS p90_business_s
  FROM r GROUP BY 1, 2, 3, 4, 5;
UPDATE _schema SET version = 4;
)sql";

// Version 5: breached SLA instances are counted often (health, /metrics).
constexpr const char* kMigrationV5 = R"sql(
CREATE INDEX fact_sla_breached ON fact_sla(status) WHERE status = 'breached';
UPDATE _schema SET version = 5;
)sql";

// Version 6: customer context (docs/warehouse.md#customer-context). Every context event in
// fact_customer_event; each order's state, re-derived from its events, in fact_order; views
// that put tickets next to orders. Tickets and orders meet on the requester's id (the same
// customer id in the helpdesk and the order system, whatever the source).
constexpr const char* kMigrationV6 = R"sql(
CREATE TABLE fact_customer_event(
  source       TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  type         TEXT NOT NULL,
  object       TEXT NOT NULL,
  object_id    TEXT NOT NULL,
  order_id     TEXT,
  status       TEXT,
  amount       REAL,
  currency     TEXT,
  items        INTEGER,
  plan         TEXT,
  reason       TEXT,
  occurred_at  TEXT NOT NULL,
  occurred_us  INTEGER NOT NULL,
  day          TEXT NOT NULL,
  event_offset INTEGER NOT NULL,
  raw_offset   INTEGER NOT NULL,
  loaded_at    TEXT NOT NULL,
  PRIMARY KEY(source, event_id));
CREATE INDEX fact_customer_event_by_object ON fact_customer_event(source, object, object_id, occurred_us);
CREATE INDEX fact_customer_event_by_order ON fact_customer_event(order_id) WHERE order_id IS NOT NULL;
CREATE INDEX fact_customer_event_by_customer ON fact_customer_event(customer_id, occurred_us);
CREATE TABLE fact_order(
  source          TEXT NOT NULL,
  order_id        TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  status          TEXT,
  amount          REAL,
  currency        TEXT,
  items           INTEGER,
  created_at      TEXT,
  created_us      INTEGER,
  created_day     TEXT,
  updated_at      TEXT NOT NULL,
  returns         INTEGER NOT NULL,
  returned_items  INTEGER NOT NULL,
  returned_amount REAL NOT NULL,
  loaded_at       TEXT NOT NULL,
  PRIMARY KEY(source, order_id));
CREATE INDEX fact_order_by_customer ON fact_order(customer_id, created_us);
CREATE INDEX fact_order_by_id ON fact_order(order_id);
CREATE VIEW ticket_orders AS
  SELECT t.source, t.ticket_id, t.requester_id AS customer_id, t.created_at, t.created_day,
         t.csat_rating, t.csat_positive,
         o.source AS order_source, o.order_id, o.created_at AS order_created_at,
         o.amount AS order_amount, o.currency AS order_currency, o.status AS order_status,
         ROUND((julianday(t.created_at) - julianday(o.created_at)), 3) AS days_after_order
  FROM fact_ticket t JOIN fact_order o
    ON o.rowid = (SELECT o2.rowid FROM fact_order o2
                  WHERE o2.customer_id = t.requester_id AND o2.created_at <= t.created_at
                  ORDER BY o2.created_us DESC LIMIT 1)
  WHERE t.requester_id IS NOT NULL;
CREATE VIEW daily_contacts_per_order AS
  WITH o AS (SELECT created_day AS day, COUNT(*) AS orders FROM fact_order
             WHERE created_day IS NOT NULL GROUP BY 1),
       t AS (SELECT created_day AS day, COUNT(*) AS tickets,
                    SUM(EXISTS (SELECT 1 FROM ticket_orders x WHERE x.source = f.source
                                AND x.ticket_id = f.ticket_id AND x.days_after_order <= 7))
                      AS tickets_within_7d_of_order,
                    SUM(EXISTS (SELECT 1 FROM ticket_orders x WHERE x.source = f.source
                                AND x.ticket_id = f.ticket_id AND x.days_after_order <= 30))
                      AS tickets_within_30d_of_order
             FROM fact_ticket f WHERE created_day IS NOT NULL GROUP BY 1)
  SELECT o.day, o.orders, COALESCE(t.tickets, 0) AS tickets,
         COALESCE(t.tickets_within_7d_of_order, 0) AS tickets_within_7d_of_order,
         COALESCE(t.tickets_within_30d_of_order, 0) AS tickets_within_30d_of_order,
         ROUND(100.0 * COALESCE(t.tickets, 0) / o.orders, 2) AS contacts_per_100_orders
  FROM o LEFT JOIN t USING (day);
CREATE VIEW csat_by_order_value AS
  SELECT order_currency AS currency,
         CASE WHEN order_amount < 50 THEN '1: under 50'
              WHEN order_amount < 100 THEN '2: 50-100'
              WHEN order_amount < 250 THEN '3: 100-250'
              WHEN order_amount < 500 THEN '4: 250-500'
              ELSE '5: 500 and more' END AS order_value_band,
         COUNT(*) AS rated, SUM(csat_positive) AS positive,
         ROUND(100.0 * SUM(csat_positive) / COUNT(*), 2) AS csat_pct
  FROM ticket_orders WHERE csat_rating IS NOT NULL AND order_amount IS NOT NULL
  GROUP BY 1, 2;
UPDATE _schema SET version = 6;
)sql";

// Version 7: consent statements by purpose (the newest statement wins), and settings the
// warehouse keeps about itself (the consent rules last applied to every row).
constexpr const char* kMigrationV7 = R"sql(
CREATE TABLE dim_customer_consent(
  source      TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  purpose     TEXT NOT NULL,
  granted     INTEGER NOT NULL,
  stated_at   TEXT NOT NULL,
  stated_us   INTEGER NOT NULL,
  event_id    TEXT NOT NULL,
  loaded_at   TEXT NOT NULL,
  PRIMARY KEY(source, customer_id, purpose));
CREATE TABLE _meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
UPDATE _schema SET version = 7;
)sql";

// Version 8: reconciliation runs (supportpipe reconcile).
constexpr const char* kMigrationV8 = R"sql(
CREATE TABLE _reconciliation(
  run_id            INTEGER PRIMARY KEY AUTOINCREMENT,
  source            TEXT NOT NULL,
  truth             TEXT NOT NULL,
  range_from        TEXT NOT NULL,
  range_to          TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  finished_at       TEXT NOT NULL,
  truth_tickets     INTEGER NOT NULL,
  warehouse_tickets INTEGER NOT NULL,
  missing           INTEGER NOT NULL,
  extra             INTEGER NOT NULL,
  diverging         INTEGER NOT NULL,
  repaired          INTEGER NOT NULL,
  details           TEXT NOT NULL);
UPDATE _schema SET version = 8;
)sql";

// Version 9: people across sources ([identity], docs/warehouse.md#people). Match keys on
// each profile, each record's person, the history of links, merges and splits, and the
// person on tickets and orders (so that they meet whatever source each came from).
constexpr const char* kMigrationV9 = R"sql(
ALTER TABLE dim_customer ADD COLUMN external_id TEXT;
ALTER TABLE dim_customer ADD COLUMN email_verified INTEGER;
ALTER TABLE dim_customer ADD COLUMN email_key TEXT;
ALTER TABLE dim_customer ADD COLUMN phone_key TEXT;
CREATE INDEX dim_customer_by_email_key ON dim_customer(email_key) WHERE email_key IS NOT NULL;
CREATE INDEX dim_customer_by_phone_key ON dim_customer(phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX dim_customer_by_external_id ON dim_customer(external_id)
  WHERE external_id IS NOT NULL;
CREATE TABLE person_link(
  source      TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  person_key  TEXT NOT NULL,
  matched_by  TEXT NOT NULL,
  linked_at   TEXT NOT NULL,
  PRIMARY KEY(source, customer_id));
CREATE INDEX person_link_by_person ON person_link(person_key);
CREATE TABLE person_history(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  action      TEXT NOT NULL,
  source      TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  from_person TEXT,
  to_person   TEXT NOT NULL,
  matched_by  TEXT NOT NULL);
ALTER TABLE fact_ticket ADD COLUMN person_key TEXT;
ALTER TABLE fact_order ADD COLUMN person_key TEXT;
CREATE INDEX fact_ticket_by_person ON fact_ticket(person_key) WHERE person_key IS NOT NULL;
CREATE INDEX fact_order_by_party ON fact_order(COALESCE(person_key, customer_id), created_us);
DROP VIEW ticket_orders;
CREATE VIEW ticket_orders AS
  SELECT t.source, t.ticket_id, t.requester_id AS customer_id, t.person_key, t.created_at,
         t.created_day, t.csat_rating, t.csat_positive,
         o.source AS order_source, o.order_id, o.created_at AS order_created_at,
         o.amount AS order_amount, o.currency AS order_currency, o.status AS order_status,
         ROUND((julianday(t.created_at) - julianday(o.created_at)), 3) AS days_after_order
  FROM fact_ticket t JOIN fact_order o
    ON o.rowid = (SELECT o2.rowid FROM fact_order o2
                  WHERE COALESCE(o2.person_key, o2.customer_id) =
                        COALESCE(t.person_key, t.requester_id)
                    AND o2.created_at <= t.created_at
                  ORDER BY o2.created_us DESC LIMIT 1)
  WHERE t.requester_id IS NOT NULL;
CREATE VIEW dim_person AS
  SELECT l.person_key, COUNT(*) AS records, COUNT(DISTINCT l.source) AS sources,
         MIN(l.linked_at) AS first_linked_at,
         (SELECT COUNT(*) FROM fact_ticket t WHERE t.person_key = l.person_key) AS tickets,
         (SELECT COUNT(*) FROM fact_order o WHERE o.person_key = l.person_key) AS orders
  FROM person_link l GROUP BY l.person_key;
UPDATE _schema SET version = 9;
)sql";

// Version 10: a digest of what each ticket derives to, so that a recompute skips the
// tickets it finds unchanged (docs/warehouse.md#fact_ticket), and the event type in the
// timeline index, so that reading a ticket's own events passes the derived ones over.
constexpr const char* kMigrationV10 = R"sql(
ALTER TABLE fact_ticket ADD COLUMN derived_digest INTEGER;
DROP INDEX fact_ticket_event_timeline;
CREATE INDEX fact_ticket_event_timeline
  ON fact_ticket_event(source, ticket_id, occurred_us, sequence, event_id, type);
UPDATE _schema SET version = 10;
)sql";

// Each entry takes the schema from the version before it to its own (index + 2).
constexpr const char* kMigrations[] = {kMigrationV2, kMigrationV3, kMigrationV4,
                                       kMigrationV5, kMigrationV6, kMigrationV7,
                                       kMigrationV8, kMigrationV9, kMigrationV10};
constexpr int64_t kVersion = std::size(kMigrations) + 1;

Status Migrate(SqliteDb& db) {
  ASSIGN_OR_RETURN(SqliteStmt * v, db.Prepare("SELECT version FROM _schema"));
  ASSIGN_OR_RETURN(bool row, v->Step());
  const int64_t version = row ? v->Int(0) : 1;
  v->Reset();
  if (version >= kVersion) return Status::Ok();
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status st;
  for (int64_t k = std::max<int64_t>(version, 1); k < kVersion && st.ok(); ++k) {
    st = db.Exec(kMigrations[k - 1]);
  }
  if (!st.ok()) {
    (void)db.Exec("ROLLBACK");
    return st;
  }
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  // Metrics of tickets loaded before v2 are computed at their next event, or by `replay`.
  return Status::Ok();
}

}  // namespace

Result<QueryResult> RunReadOnlyQuery(SqliteDb& db, std::string_view sql, size_t max_rows) {
  ASSIGN_OR_RETURN(auto stmt, db.PrepareOnce(sql));
  if (!stmt->ReadOnly()) return InvalidArgument("only read-only SQL (SELECT, WITH ...) is allowed");
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

Result<std::unique_ptr<Warehouse>> OpenSqliteWarehouse(const std::string& path, const Clock& clock,
                                                       const SqliteWarehouseOptions& options) {
  std::unique_ptr<SqliteDb> writer;
  if (!options.read_only) {
    // synchronous=NORMAL: the warehouse is derived from the durable event log, and its
    // position commits with its rows, so a lost tail is re-loaded, never half-applied.
    ASSIGN_OR_RETURN(writer, SqliteDb::Open(path, {.full_sync = false}));
    RETURN_IF_ERROR(writer->Exec(kSchemaV1));
    RETURN_IF_ERROR(Migrate(*writer));
  }
  ASSIGN_OR_RETURN(auto reader, SqliteDb::Open(path, {.read_only = true, .cache_mib = 8}));
  return MakeSqlWarehouse(std::move(writer), std::move(reader), clock, options.policies);
}

}  // namespace supportpipe::warehouse
