#include "warehouse/sql_warehouse.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

#include <fmt/format.h>

#include "common/check.h"
#include "common/crypto.h"
#include "event/codec.h"
#include "support/policies.h"
#include "support/ticket_metrics.h"
#include "warehouse/identity.h"
#include "warehouse/profiles.h"
#include "warehouse/ticket_state.h"

namespace supportpipe::warehouse {
namespace {

// Reads fact_sla rows: the columns of kSlaColumns, in order.
constexpr const char* kSlaColumns =
    "source, ticket_id, policy, metric, instance, target_s, business_hours, applied_at, due_at, "
    "fulfilled_at, breached_at, warning_at, elapsed_s, status, change_seq";

// A ticket's stored timeline rows, copied out of the result into one buffer (no allocation per
// row) so that another thread can turn them into events.
struct StoredRows {
  static constexpr int kText = 9;  // id, type, ticket, changes, attributes, author_role,
                                   // csat_rating, customer_id, customer_tier
  struct Row {
    uint32_t off[kText];
    uint32_t len[kText];
    uint32_t nulls = 0;  // bit i: text column i is NULL
    int64_t occurred_us = 0;
    int64_t sequence = 0;
    bool is_public = false;
    uint64_t raw_offset = 0;
  };
  std::string blob;
  std::vector<Row> rows;

  std::string_view Text(const Row& r, int i) const {
    return std::string_view(blob).substr(r.off[i], r.len[i]);
  }
  bool Null(const Row& r, int i) const { return r.nulls & (1u << i); }
  std::optional<std::string_view> OptText(const Row& r, int i) const {
    return Null(r, i) ? std::nullopt : std::optional<std::string_view>(Text(r, i));
  }

  // Row r as an event (trusted: these were checked on the way in), without assembling and
  // parsing a whole JSON event.
  Status Decode(const Row& r, event::Event* e) const {
    Status st = event::DecodeStored({.id = Text(r, 0),
                                     .type = Text(r, 1),
                                     .occurred_at = r.occurred_us,
                                     .sequence = r.sequence,
                                     .ticket = Text(r, 2),
                                     .changes = Text(r, 3),
                                     .attributes = Text(r, 4),
                                     .author_role = OptText(r, 5),
                                     .is_public = r.is_public,
                                     .csat_rating = OptText(r, 6),
                                     .customer_id = OptText(r, 7),
                                     .customer_tier = OptText(r, 8)},
                                    e);
    if (st.ok()) return st;
    return DataLoss("stored timeline event does not decode: " + st.ToString());
  }
};

// A 64-bit digest (FNV-1a) of the values bound to a statement, shaped like one so that the
// same code binds a row and digests it: Digest d; BindRow(d, ...); d.value().
class Digest {
 public:
  Digest& Bind(int i, int64_t v) { return Mix('i', i, &v, sizeof v); }
  Digest& Bind(int i, std::string_view v) { return Mix('s', i, v.data(), v.size()); }
  Digest& BindNull(int i) { return Mix('n', i, nullptr, 0); }
  Digest& Bind(int i, const std::optional<std::string>& v) {
    return v ? Bind(i, std::string_view(*v)) : BindNull(i);
  }
  Digest& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Digest& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  int64_t value() const { return static_cast<int64_t>(h_); }

 private:
  Digest& Mix(char kind, int i, const void* data, size_t n) {
    const uint64_t head[] = {static_cast<uint64_t>(kind), static_cast<uint64_t>(i), n};
    Bytes(head, sizeof head);
    Bytes(data, n);
    return *this;
  }
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t k = 0; k < n; ++k) h_ = (h_ ^ p[k]) * 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// One ticket being re-derived: its stored timeline (read), then what it gives (derived).
struct Derivation {
  std::string source, ticket_id;
  StoredRows stored;  // the timeline as read, in timeline order
  Status status;
  TicketState state;
  std::vector<event::Event> timeline;
  std::optional<event::Event> created;
  const support::Schedule* schedule = nullptr;
  std::optional<support::TicketMetrics> metrics;
  std::optional<std::string> tier;
  std::vector<support::SlaInstance> sla;
  bool sla_done = false;
  // Text forms of the derived instants and days, made on the deriving thread.
  struct SlaText {
    std::string applied;
    std::optional<std::string> due, fulfilled, breached, warning, day;
  };
  std::vector<SlaText> sla_text;
  std::vector<std::pair<std::string, std::string>> change_text;  // changed_at, day
  std::optional<std::string> created_day;
  // A digest of every value written to fact_ticket and fact_status_change, and the one
  // stored with the ticket (a recompute skips those writes when the two agree).
  std::optional<int64_t> digest, stored_digest;
  // The ticket's fact_sla rows before this derivation, read with its timeline.
  struct StoredSla {
    std::string metric, policy, applied, status;
    int64_t instance = 0, target_s = 0, business_hours = 0, elapsed_s = 0;
    bool active = false;
    std::optional<std::string> due, fulfilled, breached, warning, day;
  };
  std::vector<StoredSla> stored_sla;
};

template <typename Db>
class SqlWarehouse final : public Warehouse {
 public:
  using Stmt = typename Db::Stmt;
  static constexpr bool kPostgres = std::is_same_v<Db, PgConn>;

  SqlWarehouse(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader, const Clock& clock,
               const support::Policies* policies)
      : w_(std::move(writer)),
        r_(std::move(reader)),
        clock_(clock),
        policies_(policies ? policies : always_.get()) {}

  Result<LoadStats> Load(std::string_view consumer, std::span<const LoadItem> items,
                         uint64_t through) override {
    if (!w_) return PermissionDenied("the warehouse was opened read-only");
    std::lock_guard lock(wmu_);
    LoadStats stats;
    stats.events = items.size();
    const TimeMicros started = clock_.Now();
    const std::string loaded_at = FormatRfc3339(started);
    WriteTxn<Db> txn(*w_);
    RETURN_IF_ERROR(txn.Begin());
    staged_.Clear();  // what a failed load left
    ASSIGN_OR_RETURN(const uint64_t pos, PositionLocked(*w_, consumer));

    // The tickets the batch touched; each is re-folded once, after its events are in.
    std::set<std::pair<std::string, std::string>> touched;
    std::set<std::pair<std::string, std::string>> orders;  // (source, order id) to re-derive
    std::set<std::string> returned;  // order ids with a new return, in whichever source
    // Consent: the people to re-apply the rules to, and tickets whose requester is one.
    const bool consent_active = ConsentRulesActive();
    std::set<std::pair<std::string, std::string>> consent_subjects, consent_tickets;
    TimeMicros max_occurred = 0;
    for (const LoadItem& item : items) {
      if (item.offset <= pos) {
        ++stats.skipped;
        continue;
      }
      const event::Event& e = item.event;
      max_occurred = std::max(max_occurred, e.occurred_at);
      RETURN_IF_ERROR(InsertTimeline(item, loaded_at, &stats));
      if (e.message && e.ticket) RETURN_IF_ERROR(UpsertMessage(item, loaded_at));
      if (e.customer) {
        // Statements are kept whatever the rules: a rule added later uses them.
        for (const event::Consent& c : e.customer->consent) {
          RETURN_IF_ERROR(UpsertConsent(e, c, loaded_at));
        }
        if (consent_active) consent_subjects.emplace(e.source, e.customer->id);
      }
      if (consent_active && e.message && e.ticket) {
        consent_tickets.emplace(e.source, e.ticket->id);
        if (e.message->author && e.message->author_role == "customer") {
          consent_subjects.emplace(e.source, *e.message->author);
        }
      }
      if (e.context && e.customer) {
        RETURN_IF_ERROR(InsertCustomerEvent(item, loaded_at));
        if (e.context->kind == "order") orders.emplace(e.source, e.context->id);
        if (e.context->kind == "return" && e.context->order_id) {
          returned.insert(*e.context->order_id);
        }
      }
      if (e.ticket && !NeedsNoRecompute(e)) touched.emplace(e.source, e.ticket->id);
      if (e.customer && e.customer->tier && e.type == "customer.upserted" &&
          policies_->sla_uses_tier()) {
        RETURN_IF_ERROR(TouchRequesterTickets(e.source, e.customer->id, &touched));
      }
    }
    RETURN_IF_ERROR(FlushTimeline(&stats));
    for (const std::string& order : returned) {
      ASSIGN_OR_RETURN(Stmt * q, w_->Prepare("SELECT source FROM fact_order WHERE order_id = ?"));
      q->Bind(1, order);
      RETURN_IF_ERROR(q->ForEachRow([&] { orders.emplace(q->Text(0), order); }));
    }
    for (const auto& [source, order] : orders) {
      RETURN_IF_ERROR(RederiveOrder(source, order, loaded_at));
    }
    const MergedProfiles profiles = MergeProfiles(items, pos);
    for (const auto& [key, p] : profiles.customers)
      RETURN_IF_ERROR(UpsertCustomer(key.first, p, loaded_at));
    if (policies_->identity().enabled() && !profiles.customers.empty()) {
      std::vector<ProfileKey> seeds;
      for (const auto& [key, p] : profiles.customers) seeds.push_back(key);
      RETURN_IF_ERROR(Relink(seeds, loaded_at));
    }
    for (const auto& [key, p] : profiles.agents)
      RETURN_IF_ERROR(UpsertAgent(key.first, p, loaded_at));
    const uint64_t last = std::max<uint64_t>(through, items.empty() ? 0 : items.back().offset);
    if (!touched.empty()) {
      ASSIGN_OR_RETURN(const uint64_t seq, NextChangeSeq());
      RETURN_IF_ERROR(Recompute({touched.begin(), touched.end()}, loaded_at, seq));
      if (policies_->identity().enabled()) {
        ASSIGN_OR_RETURN(Stmt * pk,
                         w_->Prepare("UPDATE fact_ticket SET person_key = (SELECT person_key "
                                     "FROM person_link l WHERE l.source = fact_ticket.source AND "
                                     "l.customer_id = fact_ticket.requester_id) WHERE source = ? "
                                     "AND ticket_id = ?"));
        for (const auto& [source, ticket] : touched) {
          pk->Bind(1, source).Bind(2, ticket);
          RETURN_IF_ERROR(pk->Send());
        }
      }
      stats.tickets = touched.size();
    }
    if (consent_active) {
      for (const auto& key : consent_tickets) {
        const std::string& source = key.first;
        const std::string& ticket = key.second;
        ASSIGN_OR_RETURN(Stmt * q, w_->Prepare("SELECT requester_id FROM fact_ticket WHERE "
                                               "source = ? AND ticket_id = ? AND "
                                               "requester_id IS NOT NULL"));
        q->Bind(1, source).Bind(2, ticket);
        RETURN_IF_ERROR(
            q->ForEachRow([&] { consent_subjects.emplace(source, std::string(q->Text(0))); }));
      }
      for (const auto& [source, customer] : consent_subjects) {
        RETURN_IF_ERROR(ApplyConsent(source, customer));
      }
    }
    ASSIGN_OR_RETURN(
        Stmt * p, w_->Prepare("INSERT INTO _positions(consumer, \"offset\") VALUES(?, ?) ON "
                              "CONFLICT(consumer) DO UPDATE SET \"offset\" = excluded.\"offset\""));
    p->Bind(1, consumer).Bind(2, static_cast<int64_t>(std::max(last, pos)));
    RETURN_IF_ERROR(p->Send());
    if (!items.empty())
      RETURN_IF_ERROR(RecordLoad(consumer, items, stats, last, loaded_at, max_occurred));
    RETURN_IF_ERROR(txn.Commit());
    return stats;
  }

  Result<uint64_t> Position(std::string_view consumer) override {
    std::lock_guard lock(rmu_);
    return PositionLocked(*r_, consumer);
  }

  Result<size_t> RecomputeAll(
      const std::function<void(size_t done, size_t total)>& progress) override {
    if (!w_) return PermissionDenied("the warehouse was opened read-only");
    size_t total = 0;
    {
      std::lock_guard lock(rmu_);
      ASSIGN_OR_RETURN(Stmt * n, r_->Prepare("SELECT COUNT(*) FROM fact_ticket"));
      ASSIGN_OR_RETURN(bool row, n->Step());
      total = row ? static_cast<size_t>(n->Int(0)) : 0;
      n->Reset();
    }
    // Pages of tickets in key order, each in one transaction with its own change_seq, so
    // that loads can interleave and the SLA clocks read each page's rows.
    std::pair<std::string, std::string> after;
    size_t done = 0;
    for (;;) {
      std::lock_guard lock(wmu_);
      WriteTxn<Db> txn(*w_);
      RETURN_IF_ERROR(txn.Begin());
      ASSIGN_OR_RETURN(Stmt * page, w_->Prepare("SELECT source, ticket_id, derived_digest FROM "
                                                "fact_ticket WHERE (source, ticket_id) > (?, ?) "
                                                "ORDER BY source, ticket_id LIMIT 1000"));
      page->Bind(1, after.first).Bind(2, after.second);
      std::vector<std::pair<std::string, std::string>> keys;
      std::vector<std::optional<int64_t>> digests;
      RETURN_IF_ERROR(page->ForEachRow([&] {
        keys.emplace_back(page->Text(0), page->Text(1));
        digests.push_back(page->IsNull(2) ? std::nullopt : std::optional<int64_t>(page->Int(2)));
      }));
      if (keys.empty()) break;
      ASSIGN_OR_RETURN(const uint64_t seq, NextChangeSeq());
      const std::string loaded_at = FormatRfc3339(clock_.Now());
      RETURN_IF_ERROR(Recompute(keys, loaded_at, seq, digests));
      RETURN_IF_ERROR(txn.Commit());
      done += keys.size();
      after = keys.back();
      if (progress) progress(done, std::max(done, total));
    }
    return done;
  }

  Result<std::vector<SlaRow>> SlaChangedAfter(uint64_t after_seq) override {
    std::lock_guard lock(rmu_);
    ASSIGN_OR_RETURN(Stmt * s,
                     r_->Prepare(std::string("SELECT ") + kSlaColumns +
                                 " FROM fact_sla WHERE change_seq = (SELECT MIN(change_seq) "
                                 "FROM fact_sla WHERE change_seq > ?)"));
    s->Bind(1, static_cast<int64_t>(after_seq));
    return ReadSla(*s);
  }

  Result<std::vector<CreationCount>> CreationCounts(std::string_view dimension, int64_t bucket_s,
                                                    int64_t from_bucket,
                                                    int64_t to_bucket) override {
    std::string sql;
    if (dimension == "tags" && kPostgres) {
      sql =
          "SELECT j.v #>> '{}', e.occurred_us / ?1 AS b, COUNT(*) FROM fact_ticket_event e "
          "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.ticket::jsonb -> "
          "'tags') = 'array' THEN e.ticket::jsonb -> 'tags' ELSE '[]' END) j(v) WHERE e.type = "
          "'ticket.created' AND e.occurred_us >= ?2 AND e.occurred_us < ?3 AND e.ticket IS NOT "
          "NULL AND jsonb_typeof(j.v) = 'string' GROUP BY 1, 2 ORDER BY 2, 1";
    } else if (dimension == "tags") {
      sql =
          "SELECT j.value, e.occurred_us / ?1 AS b, COUNT(*) FROM fact_ticket_event e, "
          "json_each(e.ticket, '$.tags') j WHERE e.type = 'ticket.created' AND "
          "e.occurred_us >= ?2 AND e.occurred_us < ?3 AND e.ticket IS NOT NULL AND "
          "j.type = 'text' GROUP BY 1, 2 ORDER BY 2, 1";
    } else if (dimension == "channel" || dimension == "group") {
      sql = fmt::format(
          "SELECT v, b, COUNT(*) FROM (SELECT {} AS v, occurred_us / ?1 AS b FROM "
          "fact_ticket_event WHERE type = 'ticket.created' AND occurred_us >= ?2 AND "
          "occurred_us < ?3 AND ticket IS NOT NULL) c WHERE v IS NOT NULL GROUP BY 1, 2 ORDER "
          "BY 2, 1",
          kPostgres ? fmt::format("ticket::jsonb ->> '{}'", dimension)
                    : fmt::format("json_extract(ticket, '$.{}')", dimension));
    } else {
      return InvalidArgument(fmt::format("\"{}\" is not a dimension", dimension));
    }
    std::lock_guard lock(rmu_);
    ASSIGN_OR_RETURN(Stmt * s, r_->Prepare(sql));
    const int64_t us = bucket_s * 1000000;
    s->Bind(1, us).Bind(2, from_bucket * us).Bind(3, (to_bucket + 1) * us);
    std::vector<CreationCount> out;
    RETURN_IF_ERROR(s->ForEachRow([&] {
      out.push_back({std::string(s->Text(0)), s->Int(1), s->Int(2)});
    }));
    return out;
  }

  Result<TicketHistory> History(std::string_view source, std::string_view ticket_id) override {
    Derivation d;
    d.source = std::string(source);
    d.ticket_id = std::string(ticket_id);
    TicketHistory h;
    {
      std::lock_guard lock(rmu_);
      RETURN_IF_ERROR(ReadTimelines(*r_, &d, 1));
    }
    const event::Event* created = nullptr;
    h.events.resize(d.stored.rows.size());
    for (size_t i = 0; i < h.events.size(); ++i) {
      const StoredRows::Row& row = d.stored.rows[i];
      RETURN_IF_ERROR(d.stored.Decode(row, &h.events[i]));
      h.events[i].source = d.source;
      h.raw_offsets.push_back(row.raw_offset);
    }
    for (const event::Event& e : h.events) {
      if (e.type == "ticket.created" && (!created || support::TimelineBefore(e, *created))) {
        created = &e;
      }
    }
    if (created) {
      std::lock_guard lock(rmu_);
      ASSIGN_OR_RETURN(h.customer_tier, RequesterTier(*r_, d.source, *created));
    }
    return h;
  }

  Result<ErasureCounts> Erase(const ErasureSubject& subject) override {
    std::lock_guard lock(wmu_);
    if (!w_) return InvalidArgument("the warehouse is open read-only");
    ErasureCounts n;
    WriteTxn<Db> txn(*w_);
    RETURN_IF_ERROR(txn.Begin());
    // Their tickets first (found by requester), then everything that names them. Each
    // statement takes (source, customer id, replacement) and counts what it changed.
    const struct {
      const char* sql;
      int64_t ErasureCounts::*count;
    } kSteps[] = {
        {"UPDATE fact_message SET body = NULL, author_id = CASE WHEN author_id = ?2 THEN ?3 ELSE "
         "author_id END WHERE source = ?1 AND ticket_id IN (SELECT ticket_id FROM fact_ticket "
         "WHERE source = ?1 AND requester_id = ?2)",
         &ErasureCounts::messages},
        {kPostgres
             ? "UPDATE fact_ticket_event SET ticket = (CASE WHEN ticket::jsonb ->> "
               "'requester' = ?2 THEN jsonb_set(ticket::jsonb - 'subject', '{requester}', "
               "to_jsonb(CAST(?3 AS TEXT))) ELSE ticket::jsonb - 'requester' - 'subject' "
               "END)::text, changes = (changes::jsonb - 'subject' - 'requester')::text, "
               "attributes = CASE WHEN attributes IS NULL THEN NULL ELSE '{}' END, customer_id "
               "= NULL WHERE source = ?1 AND ticket_id IN (SELECT ticket_id FROM fact_ticket "
               "WHERE source = ?1 AND requester_id = ?2) AND CAST(?3 AS TEXT) IS NOT NULL"
             : "UPDATE fact_ticket_event SET ticket = CASE WHEN json_extract(ticket, "
               "'$.requester') = ?2 THEN json_set(json_remove(ticket, '$.subject'), "
               "'$.requester', ?3) ELSE json_remove(ticket, '$.requester', '$.subject') END, "
               "changes = CASE WHEN changes IS NULL THEN NULL ELSE "
               "json_remove(changes, '$.subject', '$.requester') END, attributes = CASE WHEN "
               "attributes IS NULL THEN NULL ELSE '{}' END, customer_id = NULL WHERE source = "
               "?1 AND ticket_id IN (SELECT ticket_id FROM fact_ticket WHERE source = ?1 AND "
               "requester_id = ?2) AND CAST(?3 AS TEXT) IS NOT NULL",
         &ErasureCounts::events},
        {"UPDATE fact_ticket SET requester_id = ?3, subject = NULL, derived_digest = NULL WHERE "
         "source = ?1 AND "
         "requester_id = ?2",
         &ErasureCounts::tickets},
        {"DELETE FROM fact_ticket_event WHERE source = ?1 AND customer_id = ?2 AND type = "
         "'customer.upserted' AND CAST(?3 AS TEXT) IS NOT NULL",
         &ErasureCounts::events},
        {"UPDATE fact_ticket_event SET customer_id = NULL WHERE source = ?1 AND customer_id = ?2 "
         "AND CAST(?3 AS TEXT) IS NOT NULL",
         &ErasureCounts::events},
        {"UPDATE fact_message SET body = NULL, author_id = ?3 WHERE source = ?1 AND author_id = "
         "?2",
         &ErasureCounts::messages},
        // Context facts stay (orders count), named by the erasure instead of the person.
        {"UPDATE fact_customer_event SET customer_id = ?3 WHERE source = ?1 AND customer_id = ?2 "
         "AND CAST(?3 AS TEXT) IS NOT NULL",
         &ErasureCounts::events},
        {"UPDATE fact_order SET customer_id = ?3 WHERE source = ?1 AND customer_id = ?2 AND "
         "CAST(?3 AS TEXT) IS NOT NULL",
         &ErasureCounts::tickets},
        {"DELETE FROM person_link WHERE source = ?1 AND customer_id = ?2 AND CAST(?3 AS TEXT) IS "
         "NOT NULL",
         &ErasureCounts::profiles},
        {"UPDATE person_history SET customer_id = ?3 WHERE source = ?1 AND customer_id = ?2",
         &ErasureCounts::profiles},
        {"DELETE FROM dim_customer_consent WHERE source = ?1 AND customer_id = ?2 AND CAST(?3 AS "
         "TEXT) IS NOT NULL",
         &ErasureCounts::profiles},
        {"DELETE FROM dim_customer WHERE source = ?1 AND customer_id = ?2 AND CAST(?3 AS TEXT) IS "
         "NOT NULL",
         &ErasureCounts::profiles},
    };
    for (const auto& [source, id] : subject.customers) {
      for (const auto& step : kSteps) {
        ASSIGN_OR_RETURN(Stmt * s, w_->Prepare(step.sql));
        s->Bind(1, source).Bind(2, id).Bind(3, subject.replacement);
        RETURN_IF_ERROR(s->Run());
        n.*step.count += w_->Changes();
      }
    }
    RETURN_IF_ERROR(txn.Commit());
    RETURN_IF_ERROR(Overwrite({"fact_message", "fact_ticket_event", "fact_ticket", "dim_customer",
                               "dim_customer_consent", "person_link", "person_history",
                               "fact_customer_event", "fact_order"}));
    return n;
  }

  Result<size_t> ApplyConsentPolicy(
      const std::function<void(size_t done, size_t total)>& progress) override {
    if (!w_) return PermissionDenied("the warehouse was opened read-only");
    const std::string fingerprint = policies_->ConsentFingerprint();
    std::vector<std::pair<std::string, std::string>> people;
    {
      std::lock_guard lock(wmu_);
      ASSIGN_OR_RETURN(Stmt * m,
                       w_->Prepare("SELECT value FROM _meta WHERE key = 'consent_rules'"));
      std::string applied;
      RETURN_IF_ERROR(m->ForEachRow([&] { applied = m->Text(0); }));
      if (applied == fingerprint) return size_t{0};
      if (ConsentRulesActive()) {
        ASSIGN_OR_RETURN(Stmt * q, w_->Prepare("SELECT source, customer_id FROM dim_customer UNION "
                                               "SELECT source, requester_id FROM fact_ticket WHERE "
                                               "requester_id IS NOT NULL"));
        RETURN_IF_ERROR(q->ForEachRow([&] { people.emplace_back(q->Text(0), q->Text(1)); }));
      }
    }
    // Pages in their own transactions, so that loads interleave.
    for (size_t i = 0; i < people.size(); i += 500) {
      std::lock_guard lock(wmu_);
      WriteTxn<Db> txn(*w_);
      RETURN_IF_ERROR(txn.Begin());
      for (size_t k = i; k < std::min(people.size(), i + 500); ++k) {
        RETURN_IF_ERROR(ApplyConsent(people[k].first, people[k].second));
      }
      RETURN_IF_ERROR(txn.Commit());
      if (progress) progress(std::min(people.size(), i + 500), people.size());
    }
    std::lock_guard lock(wmu_);
    ASSIGN_OR_RETURN(Stmt * put,
                     w_->Prepare("INSERT INTO _meta(key, value) VALUES('consent_rules', ?) ON "
                                 "CONFLICT(key) DO UPDATE SET value = excluded.value"));
    put->Bind(1, fingerprint);
    RETURN_IF_ERROR(put->Send());
    if (!people.empty()) RETURN_IF_ERROR(Overwrite({"fact_message", "dim_customer"}));
    return people.size();
  }

  Result<std::vector<std::string>> WithheldConsents(std::string_view source,
                                                    std::string_view customer_id,
                                                    std::string_view ticket_id) override {
    if (policies_->consent().empty()) return std::vector<std::string>();
    std::lock_guard lock(rmu_);
    std::string customer(customer_id);
    if (customer.empty()) {
      ASSIGN_OR_RETURN(Stmt * q, r_->Prepare("SELECT requester_id FROM fact_ticket WHERE "
                                             "source = ? AND ticket_id = ? AND "
                                             "requester_id IS NOT NULL"));
      q->Bind(1, source).Bind(2, ticket_id);
      RETURN_IF_ERROR(q->ForEachRow([&] { customer = q->Text(0); }));
      if (customer.empty()) {
        // Nobody known yet: only the rules that withhold by default apply.
        std::vector<std::string> out;
        for (const ConsentRule& r : policies_->consent()) {
          if (!r.default_granted) out.push_back(r.purpose);
        }
        return out;
      }
    }
    return Withheld(*r_, source, customer);
  }

  Status RecordReconciliation(const ReconciliationRun& run) override {
    if (!w_) return PermissionDenied("the warehouse was opened read-only");
    std::lock_guard lock(wmu_);
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare("INSERT INTO _reconciliation(source, truth, range_from, range_to, "
                    "started_at, finished_at, truth_tickets, warehouse_tickets, missing, extra, "
                    "diverging, repaired, details) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    s->Bind(1, run.source).Bind(2, run.truth).Bind(3, FormatRfc3339(run.from));
    s->Bind(4, FormatRfc3339(run.to)).Bind(5, FormatRfc3339(run.started_at));
    s->Bind(6, FormatRfc3339(run.finished_at)).Bind(7, run.truth_tickets);
    s->Bind(8, run.warehouse_tickets).Bind(9, run.missing).Bind(10, run.extra);
    std::string details;
    for (const ReconciliationDifference& d : run.differences) {
      details +=
          fmt::format(R"({}{{"ticket":{},"difference":"{}","field":{},"truth":{},"warehouse":{}}})",
                      details.empty() ? "" : ",", event::JsonQuote(d.ticket), d.difference,
                      d.field.empty() ? "null" : event::JsonQuote(d.field),
                      event::JsonQuote(d.truth), event::JsonQuote(d.warehouse));
    }
    s->Bind(11, run.diverging).Bind(12, run.repaired).Bind(13, "[" + details + "]");
    return s->Send();
  }

  Result<int64_t> PurgeMessageBodies(TimeMicros before) override {
    std::lock_guard lock(wmu_);
    if (!w_) return InvalidArgument("the warehouse is open read-only");
    ASSIGN_OR_RETURN(Stmt * s, w_->Prepare("UPDATE fact_message SET body = NULL WHERE "
                                           "occurred_at < ? AND body IS NOT NULL"));
    s->Bind(1, FormatRfc3339(before));
    RETURN_IF_ERROR(s->Run());
    const int64_t n = w_->Changes();
    if (n) RETURN_IF_ERROR(Overwrite({"fact_message"}));
    return n;
  }

  Result<std::vector<SlaRow>> ActiveSla() override {
    std::lock_guard lock(rmu_);
    ASSIGN_OR_RETURN(Stmt * s, r_->Prepare(std::string("SELECT ") + kSlaColumns +
                                           " FROM fact_sla WHERE status = 'active'"));
    return ReadSla(*s);
  }

  Result<std::vector<SlaRow>> SlaOf(std::string_view source, std::string_view ticket_id) override {
    std::lock_guard lock(rmu_);
    ASSIGN_OR_RETURN(Stmt * s,
                     r_->Prepare(std::string("SELECT ") + kSlaColumns +
                                 " FROM fact_sla WHERE source = ? AND ticket_id = ? ORDER BY "
                                 "metric, instance"));
    s->Bind(1, source).Bind(2, ticket_id);
    return ReadSla(*s);
  }

  Result<QueryResult> Query(std::string_view sql, size_t max_rows) override {
    std::lock_guard lock(rmu_);
    return RunReadOnlyQuery(*r_, sql, max_rows);
  }

 private:
  Status RecordLoad(std::string_view consumer, std::span<const LoadItem> items,
                    const LoadStats& stats, uint64_t last, const std::string& loaded_at,
                    TimeMicros max_occurred) {
    ASSIGN_OR_RETURN(Stmt * l,
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
    RETURN_IF_ERROR(l->Send());
    return Status::Ok();
  }

  static Result<std::vector<SlaRow>> ReadSla(Stmt& s) {
    std::vector<SlaRow> out;
    auto time = [&](int col) -> Result<std::optional<TimeMicros>> {
      if (s.IsNull(col)) return std::optional<TimeMicros>();
      ASSIGN_OR_RETURN(TimeMicros t, ParseRfc3339(s.Text(col)));
      return std::optional<TimeMicros>(t);
    };
    for (;;) {
      Result<bool> row = s.Step();
      if (!row.ok() || !*row) {
        s.Reset();
        if (!row.ok()) return row.status();
        return out;
      }
      SlaRow r;
      r.source = s.Text(0);
      r.ticket_id = s.Text(1);
      support::SlaInstance& i = r.sla;
      i.policy = s.Text(2);
      i.metric = s.Text(3);
      i.instance = static_cast<int>(s.Int(4));
      i.target_s = s.Int(5);
      i.business_hours = s.Int(6) != 0;
      Result<std::optional<TimeMicros>> applied = time(7), due = time(8), fulfilled = time(9),
                                        breached = time(10), warning = time(11);
      for (const auto* t : {&applied, &due, &fulfilled, &breached, &warning}) {
        if (!t->ok()) {
          s.Reset();
          return DataLoss("fact_sla holds a bad timestamp: " + t->status().ToString());
        }
      }
      i.applied_at = applied->value_or(0);
      i.due_at = *due;
      i.fulfilled_at = *fulfilled;
      i.breached_at = *breached;
      i.warning_at = *warning;
      i.elapsed_s = s.Int(12);
      i.status = s.Text(13);
      r.change_seq = static_cast<uint64_t>(s.Int(14));
      out.push_back(std::move(r));
    }
  }

  // The change_seq of the fact_sla rows the current transaction writes: one more than the
  // last one handed out (kept in _positions under "fact_sla").
  Result<uint64_t> NextChangeSeq() {
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare("INSERT INTO _positions(consumer, \"offset\") VALUES('fact_sla', 1) ON "
                    "CONFLICT(consumer) DO UPDATE SET \"offset\" = "
                    "_positions.\"offset\" + 1 RETURNING \"offset\""));
    ASSIGN_OR_RETURN(bool row, s->Step());
    SP_CHECK(row);
    const uint64_t seq = static_cast<uint64_t>(s->Int(0));
    s->Reset();
    return seq;
  }

  // Whether loading `e` leaves its ticket's rows as they are: derived SLA events record
  // what fact_sla already says, except a breach the clock saw with no event arriving
  // (the row still says "active"), which a recompute turns into "breached".
  bool NeedsNoRecompute(const event::Event& e) {
    if (!event::IsDerivedType(e.type)) return false;
    if (e.type != "sla.breached" || !e.sla) return true;
    auto s = w_->Prepare(
        "SELECT 1 FROM fact_sla WHERE source = ? AND ticket_id = ? AND metric = ? AND "
        "instance = ? AND status = 'breached'");
    if (!s.ok()) return false;
    (*s)->Bind(1, e.source).Bind(2, e.ticket->id).Bind(3, e.sla->metric).Bind(4, e.sla->instance);
    Result<bool> row = (*s)->Step();
    (*s)->Reset();
    return row.ok() && *row;
  }

  // A requester's tier changed: the SLA of their tickets may change with it.
  Status TouchRequesterTickets(const std::string& source, const std::string& customer_id,
                               std::set<std::pair<std::string, std::string>>* touched) {
    ASSIGN_OR_RETURN(Stmt * s, w_->Prepare("SELECT ticket_id FROM fact_ticket WHERE "
                                           "source = ? AND requester_id = ?"));
    s->Bind(1, source).Bind(2, customer_id);
    return s->ForEachRow([&] { touched->emplace(source, s->Text(0)); });
  }

  static Result<uint64_t> PositionLocked(Db& db, std::string_view consumer) {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare("SELECT \"offset\" FROM _positions WHERE consumer = ?"));
    s->Bind(1, consumer);
    ASSIGN_OR_RETURN(bool row, s->Step());
    const uint64_t out = row ? static_cast<uint64_t>(s->Int(0)) : 0;
    s->Reset();
    return out;
  }

  // fact_ticket_event's columns as the loader writes them (BindTimeline's order), and how a
  // replayed event's row is rewritten.
  static constexpr const char* kTimelineColumns =
      "source, event_id, ticket_id, type, occurred_at, occurred_us, sequence, status_to, "
      "received_at, event_offset, raw_offset, loaded_at, ticket, changes, attributes, "
      "author_role, is_public, csat_rating, customer_id, customer_tier";
  static constexpr const char* kTimelineRewrite =
      "ON CONFLICT(source, event_id) DO UPDATE SET ticket_id = excluded.ticket_id, type = "
      "excluded.type, occurred_at = excluded.occurred_at, occurred_us = excluded.occurred_us, "
      "sequence = excluded.sequence, status_to = excluded.status_to, received_at = "
      "excluded.received_at, event_offset = excluded.event_offset, raw_offset = "
      "excluded.raw_offset, loaded_at = excluded.loaded_at, ticket = excluded.ticket, changes = "
      "excluded.changes, attributes = excluded.attributes, author_role = excluded.author_role, "
      "is_public = excluded.is_public, csat_rating = excluded.csat_rating, customer_id = "
      "excluded.customer_id, customer_tier = excluded.customer_tier";

  // Inserts the timeline row, or rewrites it with the re-derived payload when the event was
  // already there (a replay); counts which in `stats`. On PostgreSQL the row is staged, and
  // the batch's rows go in together at FlushTimeline().
  Status InsertTimeline(const LoadItem& item, const std::string& loaded_at, LoadStats* stats) {
    if constexpr (kPostgres) {
      RETURN_IF_ERROR(BindTimeline(staged_, item, loaded_at));
      staged_.Bind(21, static_cast<int64_t>(staged_.rows()));  // arrival, for repeats
      staged_.EndRow();
      return Status::Ok();
    } else {
      // Insert first (the common case needs no lookup); a conflict means a replay.
      static const std::string insert = fmt::format(
          "INSERT INTO fact_ticket_event({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON "
          "CONFLICT(source, event_id) DO NOTHING",
          kTimelineColumns);
      static const std::string rewrite = fmt::format(
          "INSERT INTO fact_ticket_event({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) {}",
          kTimelineColumns, kTimelineRewrite);
      ASSIGN_OR_RETURN(Stmt * ins, w_->Prepare(insert));
      RETURN_IF_ERROR(BindTimeline(*ins, item, loaded_at));
      RETURN_IF_ERROR(ins->Run());
      if (w_->Changes() == 1) {
        ++stats->inserted;
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(Stmt * upd, w_->Prepare(rewrite));
      RETURN_IF_ERROR(BindTimeline(*upd, item, loaded_at));
      ++stats->replaced;
      return upd->Send();
    }
  }

  // PostgreSQL: the staged timeline rows go in with COPY into a temporary table and one
  // upsert from it; an event staged twice (re-derived within the batch) keeps its last
  // version. A row just inserted has no xmax (no older version), which tells the counts.
  Status FlushTimeline(LoadStats* stats) {
    if constexpr (kPostgres) {
      if (staged_.rows() == 0) return Status::Ok();
      PgDb& db = w_->db();
      static const std::string copy =
          fmt::format("COPY _staged_event({}, arrival) FROM STDIN", kTimelineColumns);
      static const std::string upsert = fmt::format(
          "INSERT INTO fact_ticket_event({0}) SELECT DISTINCT ON (source, event_id) {0} FROM "
          "_staged_event ORDER BY source, event_id, arrival DESC {1} RETURNING xmax = 0",
          kTimelineColumns, kTimelineRewrite);
      const size_t staged = staged_.rows();
      Status st = db.Script(
          "CREATE TEMP TABLE IF NOT EXISTS _staged_event (LIKE fact_ticket_event, arrival BIGINT) "
          "ON COMMIT DELETE ROWS");
      if (st.ok()) st = db.CopyIn(copy, staged_.data());
      staged_.Clear();
      RETURN_IF_ERROR(st);
      ASSIGN_OR_RETURN(PgRows rows, db.Exec(upsert));
      size_t inserted = 0;
      for (int r = 0; r < rows.size(); ++r) inserted += rows.Text(r, 0) == "t";
      stats->inserted += inserted;
      stats->replaced += staged - inserted;
    }
    (void)stats;
    return Status::Ok();
  }

  // Whether some consent rule removes anything from the warehouse.
  bool ConsentRulesActive() const {
    for (const ConsentRule& r : policies_->consent()) {
      if (r.drop_message_bodies || r.drop_identifiers) return true;
    }
    return false;
  }

  // One consent statement; an older one never overwrites a newer.
  Status UpsertConsent(const event::Event& e, const event::Consent& c,
                       const std::string& loaded_at) {
    const TimeMicros at = c.at.value_or(e.occurred_at);
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare(
            "INSERT INTO dim_customer_consent(source, customer_id, purpose, granted, "
            "stated_at, stated_us, event_id, loaded_at) VALUES(?,?,?,?,?,?,?,?) ON "
            "CONFLICT(source, customer_id, purpose) DO UPDATE SET granted = "
            "excluded.granted, stated_at = excluded.stated_at, stated_us = "
            "excluded.stated_us, event_id = excluded.event_id, loaded_at = "
            "excluded.loaded_at WHERE excluded.stated_us >= dim_customer_consent.stated_us"));
    s->Bind(1, e.source).Bind(2, e.customer->id).Bind(3, c.purpose);
    s->Bind(4, int64_t{c.granted}).Bind(5, FormatRfc3339(at)).Bind(6, at);
    s->Bind(7, e.id).Bind(8, loaded_at);
    return s->Send();
  }

  // The purposes `customer` has not given: stated withdrawn, or never stated and withheld by
  // default. `db` is the writer inside a load, the reader otherwise.
  Result<std::vector<std::string>> Withheld(Db& db, std::string_view source,
                                            std::string_view customer) {
    std::map<std::string, bool> stated;
    ASSIGN_OR_RETURN(Stmt * q, db.Prepare("SELECT purpose, granted FROM "
                                          "dim_customer_consent WHERE source = ? AND "
                                          "customer_id = ?"));
    q->Bind(1, source).Bind(2, customer);
    RETURN_IF_ERROR(q->ForEachRow([&] { stated[std::string(q->Text(0))] = q->Int(1) != 0; }));
    std::vector<std::string> out;
    for (const ConsentRule& r : policies_->consent()) {
      auto it = stated.find(r.purpose);
      if (!(it == stated.end() ? r.default_granted : it->second)) out.push_back(r.purpose);
    }
    return out;
  }

  // What the rules remove for one person without the consent they need: the texts of
  // their tickets' messages and of their own, and their name, email and phone.
  Status ApplyConsent(const std::string& source, const std::string& customer) {
    ASSIGN_OR_RETURN(std::vector<std::string> withheld, Withheld(*w_, source, customer));
    bool bodies = false, identifiers = false;
    for (const ConsentRule& r : policies_->consent()) {
      if (std::find(withheld.begin(), withheld.end(), r.purpose) == withheld.end()) continue;
      bodies = bodies || r.drop_message_bodies;
      identifiers = identifiers || r.drop_identifiers;
    }
    if (bodies) {
      ASSIGN_OR_RETURN(
          Stmt * m,
          w_->Prepare("UPDATE fact_message SET body = NULL WHERE source = ?1 AND body IS NOT "
                      "NULL AND (author_id = ?2 OR ticket_id IN (SELECT ticket_id FROM "
                      "fact_ticket WHERE source = ?1 AND requester_id = ?2))"));
      m->Bind(1, source).Bind(2, customer);
      RETURN_IF_ERROR(m->Send());
    }
    if (identifiers) {
      ASSIGN_OR_RETURN(Stmt * c,
                       w_->Prepare("UPDATE dim_customer SET email = NULL, name = NULL, phone = "
                                   "NULL, email_key = NULL, phone_key = NULL, external_id = NULL "
                                   "WHERE source = ? AND customer_id = ? AND (email IS NOT NULL "
                                   "OR name IS NOT NULL OR phone IS NOT NULL OR external_id IS "
                                   "NOT NULL)"));
      c->Bind(1, source).Bind(2, customer);
      RETURN_IF_ERROR(c->Send());
    }
    return Status::Ok();
  }

  // One context event into fact_customer_event (a replay rewrites its row).
  Status InsertCustomerEvent(const LoadItem& item, const std::string& loaded_at) {
    const event::Event& e = item.event;
    const event::Context& c = *e.context;
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare(
            "INSERT INTO fact_customer_event(source, event_id, customer_id, type, object, "
            "object_id, order_id, status, amount, currency, items, plan, reason, "
            "occurred_at, occurred_us, day, event_offset, raw_offset, loaded_at) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, event_id) DO "
            "UPDATE SET customer_id = excluded.customer_id, type = excluded.type, object = "
            "excluded.object, object_id = excluded.object_id, order_id = "
            "excluded.order_id, status = excluded.status, amount = excluded.amount, "
            "currency = excluded.currency, items = excluded.items, plan = excluded.plan, "
            "reason = excluded.reason, occurred_at = excluded.occurred_at, occurred_us = "
            "excluded.occurred_us, day = excluded.day, event_offset = "
            "excluded.event_offset, raw_offset = excluded.raw_offset, loaded_at = "
            "excluded.loaded_at"));
    s->Bind(1, e.source).Bind(2, e.id).Bind(3, e.customer->id).Bind(4, e.type);
    s->Bind(5, c.kind).Bind(6, c.id).Bind(7, c.order_id).Bind(8, c.status);
    if (c.amount) {
      s->Bind(9, *c.amount);
    } else {
      s->BindNull(9);
    }
    s->Bind(10, c.currency);
    if (c.items) {
      s->Bind(11, *c.items);
    } else {
      s->BindNull(11);
    }
    s->Bind(12, c.plan).Bind(13, c.reason);
    s->Bind(14, FormatRfc3339(e.occurred_at)).Bind(15, e.occurred_at);
    s->Bind(16, policies_->ReportingDay(e.occurred_at));
    s->Bind(17, static_cast<int64_t>(item.offset)).Bind(18, static_cast<int64_t>(item.raw_offset));
    s->Bind(19, loaded_at);
    return s->Send();
  }

  // fact_order from every stored event of the order and of its returns (matched by order id
  // in any source: a returns service names the shop's order): each field is the latest value
  // any order.* event stated (by occurrence, then event id), so late and repeated events give
  // the in-order result.
  Status RederiveOrder(const std::string& source, const std::string& order,
                       const std::string& loaded_at) {
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare(
            "WITH ev AS (SELECT * FROM fact_customer_event WHERE source = ?1 AND object = "
            "'order' AND object_id = ?2), "
            "r AS (SELECT COUNT(*) AS n, COALESCE(SUM(items), 0) AS items, "
            "COALESCE(SUM(amount), 0) AS amount FROM fact_customer_event WHERE object = 'return' "
            "AND order_id = ?2) "
            "INSERT INTO fact_order(source, order_id, customer_id, status, amount, currency, "
            "items, created_at, created_us, created_day, updated_at, returns, returned_items, "
            "returned_amount, loaded_at, person_key) "
            "SELECT ?1, ?2, "
            "(SELECT customer_id FROM ev ORDER BY occurred_us DESC, event_id DESC LIMIT 1), "
            "(SELECT status FROM ev WHERE status IS NOT NULL ORDER BY occurred_us DESC, "
            "event_id DESC LIMIT 1), "
            "(SELECT amount FROM ev WHERE amount IS NOT NULL ORDER BY occurred_us DESC, "
            "event_id DESC LIMIT 1), "
            "(SELECT currency FROM ev WHERE currency IS NOT NULL ORDER BY occurred_us DESC, "
            "event_id DESC LIMIT 1), "
            "(SELECT items FROM ev WHERE items IS NOT NULL ORDER BY occurred_us DESC, event_id "
            "DESC LIMIT 1), "
            "(SELECT occurred_at FROM ev WHERE type = 'order.created' ORDER BY occurred_us, "
            "event_id LIMIT 1), "
            "(SELECT occurred_us FROM ev WHERE type = 'order.created' ORDER BY occurred_us, "
            "event_id LIMIT 1), "
            "(SELECT day FROM ev WHERE type = 'order.created' ORDER BY occurred_us, event_id "
            "LIMIT 1), "
            "(SELECT MAX(occurred_at) FROM ev), r.n, r.items, r.amount, ?3, "
            "(SELECT l.person_key FROM person_link l WHERE l.source = ?1 AND l.customer_id = "
            "(SELECT customer_id FROM ev ORDER BY occurred_us DESC, event_id DESC LIMIT 1)) "
            "FROM r "
            "WHERE EXISTS (SELECT 1 FROM ev) ON CONFLICT(source, order_id) DO UPDATE SET "
            "customer_id = excluded.customer_id, status = excluded.status, amount = "
            "excluded.amount, currency = excluded.currency, items = excluded.items, created_at "
            "= excluded.created_at, created_us = excluded.created_us, created_day = "
            "excluded.created_day, updated_at = excluded.updated_at, returns = "
            "excluded.returns, returned_items = excluded.returned_items, returned_amount = "
            "excluded.returned_amount, loaded_at = excluded.loaded_at, person_key = "
            "excluded.person_key"));
    s->Bind(1, source).Bind(2, order).Bind(3, loaded_at);
    return s->Send();
  }

  // Binds fact_ticket_event's columns (kTimelineColumns) as parameters 1..20 of `s` (a
  // statement, or PgCopyRows).
  template <typename Sink>
  static Status BindTimeline(Sink& s, const LoadItem& item, const std::string& loaded_at) {
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
    // What the metrics need of messages and ratings.
    if (e.message && e.type == "message.created") {
      s.Bind(16, e.message->author_role).Bind(17, static_cast<int64_t>(e.message->is_public));
    } else if (e.message && e.type == "ticket.created") {
      s.Bind(16, e.message->author_role).Bind(17, static_cast<int64_t>(e.message->is_public));
    } else {
      s.BindNull(16).BindNull(17);
    }
    if (e.csat && e.type == "csat.submitted") {
      s.Bind(18, e.csat->rating);
    } else {
      s.BindNull(18);
    }
    // What the SLA tier rule needs of customers.
    if (e.customer) {
      s.Bind(19, e.customer->id).Bind(20, e.customer->tier);
    } else {
      s.BindNull(19).BindNull(20);
    }
    return Status::Ok();
  }

  Status UpsertMessage(const LoadItem& item, const std::string& loaded_at) {
    const event::Event& e = item.event;
    const event::Message& m = *e.message;
    ASSIGN_OR_RETURN(
        Stmt * s,
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
    return s->Send();
  }

  // Profiles: the newest fact wins; a late event never overwrites a newer profile, and
  // fields the event does not carry keep their value.
  Status UpsertCustomer(const std::string& source, const CustomerProfile& p,
                        const std::string& loaded_at) {
    const event::Customer& c = p.customer;
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare("INSERT INTO dim_customer(source, customer_id, email, name, phone, "
                    "organization_id, tier, updated_at, updated_us, event_id, raw_offset, "
                    "loaded_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, customer_id) "
                    "DO UPDATE SET email = COALESCE(excluded.email, dim_customer.email), name = "
                    "COALESCE(excluded.name, dim_customer.name), phone = COALESCE(excluded.phone, "
                    "dim_customer.phone), organization_id = COALESCE(excluded.organization_id, "
                    "dim_customer.organization_id), tier = COALESCE(excluded.tier, "
                    "dim_customer.tier), updated_at = excluded.updated_at, updated_us = "
                    "excluded.updated_us, event_id = excluded.event_id, raw_offset = "
                    "excluded.raw_offset, loaded_at = excluded.loaded_at WHERE excluded.updated_us "
                    ">= dim_customer.updated_us"));
    s->Bind(1, source).Bind(2, c.id).Bind(3, c.email).Bind(4, c.name).Bind(5, c.phone);
    s->Bind(6, c.organization).Bind(7, c.tier).Bind(8, FormatRfc3339(p.updated_at));
    s->Bind(9, p.updated_at).Bind(10, p.event_id).Bind(11, static_cast<int64_t>(p.raw_offset));
    s->Bind(12, loaded_at);
    RETURN_IF_ERROR(s->Send());
    if (c.email_verified) {
      ASSIGN_OR_RETURN(Stmt * v, w_->Prepare("UPDATE dim_customer SET email_verified = ? "
                                             "WHERE source = ? AND customer_id = ?"));
      v->Bind(1, int64_t{*c.email_verified}).Bind(2, source).Bind(3, c.id);
      RETURN_IF_ERROR(v->Send());
    }
    if (!policies_->identity().enabled() && !c.external_id) return Status::Ok();
    // The match keys follow what the profile now holds.
    ASSIGN_OR_RETURN(Stmt * now,
                     w_->Prepare("SELECT email, phone, COALESCE(email_verified, 0) FROM "
                                 "dim_customer WHERE source = ? AND customer_id = ?"));
    now->Bind(1, source).Bind(2, c.id);
    std::optional<std::string> email_key, phone_key;
    const IdentityConfig& identity = policies_->identity();
    const auto uses = [&](std::string_view k) {
      return std::find(identity.match_on.begin(), identity.match_on.end(), k) !=
             identity.match_on.end();
    };
    RETURN_IF_ERROR(now->ForEachRow([&] {
      // With verified_email only, unverified addresses match nothing.
      if (!now->IsNull(0) && (uses("email") || now->Int(2) != 0)) {
        email_key = NormalizeEmail(now->Text(0));
      }
      if (!now->IsNull(1)) phone_key = NormalizePhone(now->Text(1), identity.default_country_code);
    }));
    ASSIGN_OR_RETURN(Stmt * keys,
                     w_->Prepare("UPDATE dim_customer SET email_key = ?, phone_key = ?, "
                                 "external_id = COALESCE(?, external_id) WHERE source = ? AND "
                                 "customer_id = ?"));
    keys->Bind(1, email_key).Bind(2, phone_key).Bind(3, c.external_id);
    keys->Bind(4, source).Bind(5, c.id);
    return keys->Send();
  }

  // Identity resolution: the people `seeds` belong to now. Records sharing a match key
  // ([identity] match_on) are one person; a person's key names its oldest record, so adding
  // records never changes it, and a merge keeps the older person's key. The people the seeds
  // belonged to before are re-derived too, so a record that stops matching splits off.
  Status Relink(const std::vector<ProfileKey>& seeds, const std::string& loaded_at) {
    const std::vector<std::string>& kinds = policies_->identity().match_on;
    auto column = [](const std::string& kind) {
      return kind == "email" || kind == "verified_email" ? "email_key"
             : kind == "phone"                           ? "phone_key"
                                                         : "external_id";
    };
    std::set<ProfileKey> affected(seeds.begin(), seeds.end());
    std::map<ProfileKey, std::string> old;  // record -> person before
    auto link_of = [&](const ProfileKey& k) -> Result<std::string> {
      ASSIGN_OR_RETURN(Stmt * q, w_->Prepare("SELECT person_key FROM person_link WHERE "
                                             "source = ? AND customer_id = ?"));
      q->Bind(1, k.first).Bind(2, k.second);
      std::string out;
      RETURN_IF_ERROR(q->ForEachRow([&] { out = q->Text(0); }));
      return out;
    };
    for (const ProfileKey& k : seeds) {
      ASSIGN_OR_RETURN(std::string before, link_of(k));
      if (before.empty()) continue;
      ASSIGN_OR_RETURN(Stmt * m, w_->Prepare("SELECT source, customer_id FROM person_link "
                                             "WHERE person_key = ?"));
      m->Bind(1, before);
      RETURN_IF_ERROR(m->ForEachRow([&] { affected.emplace(m->Text(0), m->Text(1)); }));
    }
    for (const ProfileKey& k : affected) {
      ASSIGN_OR_RETURN(old[k], link_of(k));
    }
    // Oldest facts first, so that within a batch people are made in the order they were met.
    std::vector<std::pair<int64_t, ProfileKey>> order;
    ASSIGN_OR_RETURN(Stmt * when, w_->Prepare("SELECT updated_us FROM dim_customer WHERE "
                                              "source = ? AND customer_id = ?"));
    for (const ProfileKey& k : affected) {
      int64_t at = std::numeric_limits<int64_t>::max();
      when->Bind(1, k.first).Bind(2, k.second);
      RETURN_IF_ERROR(when->ForEachRow([&] { at = when->Int(0); }));
      order.emplace_back(at, k);
    }
    std::sort(order.begin(), order.end());
    std::set<ProfileKey> done;
    for (const auto& [unused, start] : order) {
      if (done.count(start)) continue;
      // The connected records, breadth first, with the key each was reached by.
      std::map<ProfileKey, std::string> component = {{start, "itself"}};
      std::vector<ProfileKey> queue = {start};
      for (size_t i = 0; i < queue.size(); ++i) {
        const ProfileKey at = queue[i];
        for (const std::string& kind : kinds) {
          ASSIGN_OR_RETURN(Stmt * q, w_->Prepare(fmt::format(
                                         "SELECT b.source, b.customer_id FROM dim_customer a JOIN "
                                         "dim_customer b ON b.{0} = a.{0} WHERE a.source = ? AND "
                                         "a.customer_id = ? AND a.{0} IS NOT NULL",
                                         column(kind))));
          q->Bind(1, at.first).Bind(2, at.second);
          RETURN_IF_ERROR(q->ForEachRow([&] {
            ProfileKey next(q->Text(0), q->Text(1));
            if (!component.emplace(next, kind).second) return;
            queue.push_back(next);
            // The first record reached nothing before: it is linked by its first match.
            if (component[at] == "itself") component[at] = kind;
          }));
        }
      }
      std::set<std::string> before;
      for (const auto& [k, by] : component) {
        done.insert(k);
        auto it = old.find(k);
        if (it == old.end()) {
          ASSIGN_OR_RETURN(old[k], link_of(k));
          it = old.find(k);
        }
        if (!it->second.empty()) before.insert(it->second);
      }
      // The person's key: of the people met here, the oldest whose first record (its anchor,
      // the record its key was made from) is still among them; else a new one, made from
      // the oldest record (the first profile stored).
      std::string person;
      ProfileKey anchor = start;
      int64_t first_seen = std::numeric_limits<int64_t>::max();
      for (const std::string& key : before) {
        ASSIGN_OR_RETURN(
            Stmt * q, w_->Prepare("SELECT source, customer_id, id FROM person_history WHERE "
                                  "to_person = ? AND matched_by = 'itself' ORDER BY id LIMIT 1"));
        q->Bind(1, key);
        RETURN_IF_ERROR(q->ForEachRow([&] {
          ProfileKey first(q->Text(0), q->Text(1));
          if (component.count(first) && q->Int(2) < first_seen) {
            first_seen = q->Int(2);
            person = key;
            anchor = first;
          }
        }));
      }
      if (person.empty()) {
        std::pair<int64_t, int64_t> oldest = {std::numeric_limits<int64_t>::max(), 0};
        ASSIGN_OR_RETURN(Stmt * age,
                         w_->Prepare(kPostgres ? "SELECT updated_us, row_seq FROM dim_customer "
                                                 "WHERE source = ? AND customer_id = ?"
                                               : "SELECT updated_us, rowid FROM dim_customer WHERE "
                                                 "source = ? AND customer_id = ?"));
        for (const auto& entry : component) {
          const ProfileKey& k = entry.first;
          age->Bind(1, k.first).Bind(2, k.second);
          RETURN_IF_ERROR(age->ForEachRow([&] {
            const std::pair<int64_t, int64_t> at = {age->Int(0), age->Int(1)};
            if (at < oldest) {
              oldest = at;
              anchor = k;
            }
          }));
        }
        person = "p_" + HexEncode(Sha256(anchor.first + '\x1f' + anchor.second)).substr(0, 16);
      }
      for (const auto& [k, by] : component) {
        const std::string& was = old[k];
        if (was == person) continue;
        const char* action = was.empty()                                 ? "link"
                             : before.size() > 1 && before.count(person) ? "merge"
                                                                         : "split";
        const std::string matched = k == anchor ? std::string("itself") : by;
        ASSIGN_OR_RETURN(
            Stmt * l,
            w_->Prepare("INSERT INTO person_link(source, customer_id, person_key, matched_by, "
                        "linked_at) VALUES(?,?,?,?,?) ON CONFLICT(source, customer_id) DO "
                        "UPDATE SET person_key = excluded.person_key, matched_by = "
                        "excluded.matched_by, linked_at = excluded.linked_at"));
        l->Bind(1, k.first).Bind(2, k.second).Bind(3, person).Bind(4, matched);
        l->Bind(5, loaded_at);
        RETURN_IF_ERROR(l->Send());
        ASSIGN_OR_RETURN(Stmt * h,
                         w_->Prepare("INSERT INTO person_history(at, action, source, customer_id, "
                                     "from_person, to_person, matched_by) VALUES(?,?,?,?,?,?,?)"));
        h->Bind(1, loaded_at).Bind(2, action).Bind(3, k.first).Bind(4, k.second);
        if (was.empty()) {
          h->BindNull(5);
        } else {
          h->Bind(5, was);
        }
        h->Bind(6, person).Bind(7, matched);
        RETURN_IF_ERROR(h->Send());
        for (const char* sql :
             {"UPDATE fact_ticket SET person_key = ?1 WHERE source = ?2 AND requester_id = ?3",
              "UPDATE fact_order SET person_key = ?1 WHERE source = ?2 AND customer_id = ?3"}) {
          ASSIGN_OR_RETURN(Stmt * u, w_->Prepare(sql));
          u->Bind(1, person).Bind(2, k.first).Bind(3, k.second);
          RETURN_IF_ERROR(u->Send());
        }
      }
    }
    return Status::Ok();
  }

  Status UpsertAgent(const std::string& source, const AgentProfile& p,
                     const std::string& loaded_at) {
    const event::Agent& a = p.agent;
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare("INSERT INTO dim_agent(source, agent_id, name, email, group_name, updated_at, "
                    "updated_us, event_id, raw_offset, loaded_at) VALUES(?,?,?,?,?,?,?,?,?,?) ON "
                    "CONFLICT(source, agent_id) DO UPDATE SET name = COALESCE(excluded.name, "
                    "dim_agent.name), email = COALESCE(excluded.email, dim_agent.email), "
                    "group_name = COALESCE(excluded.group_name, dim_agent.group_name), updated_at "
                    "= excluded.updated_at, updated_us = excluded.updated_us, event_id = "
                    "excluded.event_id, raw_offset = excluded.raw_offset, loaded_at = "
                    "excluded.loaded_at WHERE excluded.updated_us >= dim_agent.updated_us"));
    s->Bind(1, source).Bind(2, a.id).Bind(3, a.name).Bind(4, a.email).Bind(5, a.group);
    s->Bind(6, FormatRfc3339(p.updated_at)).Bind(7, p.updated_at).Bind(8, p.event_id);
    s->Bind(9, static_cast<int64_t>(p.raw_offset)).Bind(10, loaded_at);
    return s->Send();
  }

  // Re-folds touched tickets from their whole stored timelines (the batch's events are in
  // them already): the current state, the metrics and the SLA rows, which depend on every
  // event. This thread runs every statement, on the writer inside the caller's transaction
  // (reads, then writes); a second thread derives each ticket as soon as it is read, so the
  // derivation overlaps both.
  // `stored_digests`, when given, holds each ticket's fact_ticket.derived_digest.
  Status Recompute(const std::vector<std::pair<std::string, std::string>>& keys,
                   const std::string& loaded_at, uint64_t change_seq,
                   const std::vector<std::optional<int64_t>>& stored_digests = {}) {
    std::vector<Derivation> all(keys.size());
    for (size_t k = 0; k < stored_digests.size() && k < all.size(); ++k) {
      all[k].stored_digest = stored_digests[k];
    }
    const TimeMicros now = clock_.Now();
    // Tickets are derived in the order they are read, each by whichever thread claims it
    // first: the worker, or this thread when it waits to write a ticket not derived yet.
    std::mutex mu;
    std::condition_variable cv;
    size_t n_read = 0, n_claimed = 0;
    std::vector<char> derived(all.size(), 0);
    bool reading_done = false;
    auto derive = [&](size_t i) {
      Derive(all[i], now);
      {
        std::lock_guard lock(mu);
        derived[i] = 1;
      }
      cv.notify_all();
    };
    std::thread worker([&] {
      for (;;) {
        size_t i;
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return n_claimed < n_read || reading_done; });
          if (n_claimed >= n_read) return;
          i = n_claimed++;
        }
        derive(i);
      }
    });
    Status st;
    size_t read = 0;
    // SQLite reads ticket by ticket, so that deriving starts at once; PostgreSQL reads pages
    // of tickets, each page one round trip.
    const size_t page = kPostgres ? 200 : 1;
    while (read < keys.size()) {
      const size_t n = std::min(page, keys.size() - read);
      for (size_t k = read; k < read + n; ++k) {
        all[k].source = keys[k].first;
        all[k].ticket_id = keys[k].second;
      }
      st = ReadTimelines(*w_, &all[read], n);
      if (st.ok()) st = ReadStoredSla(*w_, &all[read], n);
      if (!st.ok()) break;
      read += n;
      {
        std::lock_guard lock(mu);
        n_read = read;
      }
      cv.notify_all();
    }
    {
      std::lock_guard lock(mu);
      reading_done = true;
    }
    cv.notify_all();
    for (size_t i = 0; i < read && st.ok(); ++i) {
      for (;;) {
        std::unique_lock lock(mu);
        if (derived[i]) break;
        if (n_claimed < n_read) {
          const size_t j = n_claimed++;
          lock.unlock();
          derive(j);
        } else {
          cv.wait(lock, [&] { return derived[i] != 0; });
        }
      }
      st = WriteDerived(all[i], now, loaded_at, change_seq);
    }
    worker.join();
    return st;
  }

  // Pure: decodes the stored events, folds the state, picks the schedule, computes the
  // metrics, and the SLA rows unless the tier needs the requester's profile (read by
  // WriteDerived then). Thread-safe.
  void Derive(Derivation& d, TimeMicros now) const {
    DeriveFromTimeline(d, now);
    // Unless WriteDerived still has the SLA rows to compute, the digest is made here and
    // the decoded events are freed here, on the thread that made them (cheaper than on the
    // statement thread, which is the one that must not wait).
    if (d.status.ok() && (d.sla_done || !d.created || policies_->sla().empty())) {
      d.digest = DigestOf(d);
      d.timeline = {};
    }
  }

  void DeriveFromTimeline(Derivation& d, TimeMicros now) const {
    d.state.source = d.source;
    d.state.ticket_id = d.ticket_id;
    d.timeline.resize(d.stored.rows.size());
    for (size_t i = 0; i < d.timeline.size(); ++i) {
      const StoredRows::Row& row = d.stored.rows[i];
      d.status = d.stored.Decode(row, &d.timeline[i]);
      if (!d.status.ok()) return;
      Apply(d.state, d.timeline[i], row.raw_offset);
    }
    d.stored = StoredRows();
    const event::Event* created = nullptr;
    for (const auto& e : d.timeline) {
      if (e.type == "ticket.created" && (!created || support::TimelineBefore(e, *created))) {
        created = &e;
      }
    }
    if (created) d.created = *created;
    d.schedule = &policies_->For(created ? created->ticket : std::optional<event::Ticket>());
    d.metrics = support::ComputeTicketMetrics(d.timeline, *d.schedule);
    if (d.metrics) {
      d.created_day = policies_->ReportingDay(d.metrics->created_at);
      for (const support::Transition& t : d.metrics->transitions) {
        d.change_text.emplace_back(FormatRfc3339(t.at), policies_->ReportingDay(t.at));
      }
    }
    if (!created || policies_->sla().empty()) return;
    if (created->customer && created->customer->tier) {
      d.tier = created->customer->tier;
    } else if (policies_->sla_uses_tier()) {
      return;  // the requester's tier is read in WriteDerived
    }
    d.sla = support::ComputeSla(d.timeline, policies_->sla(), *d.schedule, d.tier, now);
    d.sla_done = true;
    FormatSla(d);
  }

  void FormatSla(Derivation& d) const {
    auto text = [](const std::optional<TimeMicros>& t) {
      return t ? std::optional<std::string>(FormatRfc3339(*t)) : std::nullopt;
    };
    d.sla_text.clear();
    for (const support::SlaInstance& r : d.sla) {
      Derivation::SlaText& x = d.sla_text.emplace_back();
      x.applied = FormatRfc3339(r.applied_at);
      x.due = text(r.due_at);
      x.fulfilled = text(r.fulfilled_at);
      x.breached = text(r.breached_at);
      x.warning = text(r.warning_at);
      const std::optional<TimeMicros> decided =
          r.status == "breached" ? r.breached_at
                                 : (r.status == "fulfilled" ? r.fulfilled_at : std::nullopt);
      if (decided) x.day = policies_->ReportingDay(*decided);
    }
  }

  Status WriteDerived(Derivation& d, TimeMicros now, const std::string& loaded_at,
                      uint64_t change_seq) {
    RETURN_IF_ERROR(d.status);
    if (d.created && !policies_->sla().empty() && !d.sla_done) {
      ASSIGN_OR_RETURN(d.tier, CustomerTier(d.source, *d.created));
      d.sla = support::ComputeSla(d.timeline, policies_->sla(), *d.schedule, d.tier, now);
      FormatSla(d);
    }
    if (!d.digest) d.digest = DigestOf(d);
    // A ticket whose stored row and status changes are what it derives to (a recompute
    // after a replay mostly finds them so) costs no statement here.
    if (d.digest != d.stored_digest) {
      RETURN_IF_ERROR(WriteTicket(d.state, loaded_at));
      RETURN_IF_ERROR(WriteMetrics(d));
      RETURN_IF_ERROR(WriteStatusChanges(d));
    }
    return WriteSla(d, change_seq, loaded_at);
  }

  // `db` is the writer (inside a load) or the reader, each under its mutex.
  // The stored timelines of `n` tickets (d[0..n)), in timeline order each. PostgreSQL reads
  // them in one statement, one round trip instead of n.
  static Status ReadTimelines(Db& db, Derivation* d, size_t n) {
    static constexpr const char* kColumns =
        "e.event_id, e.type, e.occurred_us, e.sequence, e.ticket, e.changes, e.attributes, "
        "e.author_role, e.is_public, e.csat_rating, e.customer_id, e.customer_tier, "
        "e.raw_offset";
    // Derived events are part of the timeline, but not of the ticket's state. The timeline
    // index holds the type, so that their rows are passed over without being read.
    static const std::string producer = [] {
      std::string list;
      for (std::string_view t : event::kDerivedTypes) {
        list += fmt::format("{}'{}'", list.empty() ? "" : ", ", t);
      }
      return fmt::format("type NOT IN ({})", list);
    }();
    static const std::string one = fmt::format(
        "SELECT 1, {} FROM fact_ticket_event e WHERE e.source = ? AND e.ticket_id = ? AND e.{} "
        "ORDER BY e.occurred_us, e.sequence, e.event_id",
        kColumns, producer);
    static const std::string all = fmt::format(
        "SELECT k.i, {} FROM {} CROSS JOIN LATERAL (SELECT * FROM fact_ticket_event x WHERE "
        "x.source = k.source AND x.ticket_id = k.ticket_id AND x.{}) e ORDER BY k.i, "
        "e.occurred_us, e.sequence, e.event_id",
        kColumns, kKeys, producer);
    return ForTickets(db, d, n, one, all, [](const Stmt& s, Derivation& t) { AppendStored(s, t); });
  }

  // The stored fact_sla rows of `n` tickets, as ReadTimelines.
  static Status ReadStoredSla(Db& db, Derivation* d, size_t n) {
    static constexpr const char* kColumns =
        "s.metric, s.instance, s.status = 'active', s.policy, s.target_s, s.business_hours, "
        "s.applied_at, s.due_at, s.fulfilled_at, s.breached_at, s.warning_at, s.elapsed_s, "
        "s.status, s.decided_day";
    static const std::string one = fmt::format(
        "SELECT 1, {} FROM fact_sla s WHERE s.source = ? AND s.ticket_id = ?", kColumns);
    static const std::string all = fmt::format(
        "SELECT k.i, {} FROM {} JOIN fact_sla s ON s.source = k.source AND s.ticket_id = "
        "k.ticket_id",
        kColumns, kKeys);
    return ForTickets(db, d, n, one, all, [](const Stmt& s, Derivation& t) {
      auto text = [&](int col) { return s.OptText(col); };
      t.stored_sla.push_back({.metric = std::string(s.Text(1)),
                              .policy = std::string(s.Text(4)),
                              .applied = std::string(s.Text(7)),
                              .status = std::string(s.Text(13)),
                              .instance = s.Int(2),
                              .target_s = s.Int(5),
                              .business_hours = s.Int(6),
                              .elapsed_s = s.Int(12),
                              .active = s.Int(3) != 0,
                              .due = text(8),
                              .fulfilled = text(9),
                              .breached = text(10),
                              .warning = text(11),
                              .day = text(14)});
    });
  }

  // The tickets d[0..n) as a relation k(source, ticket_id, i), i counting from 1, for
  // PostgreSQL's one-statement reads.
  static constexpr const char* kKeys =
      "unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[])) WITH ORDINALITY AS k(source, ticket_id, i)";

  // Runs `one` (parameters: source, ticket id) for each ticket on SQLite, or `all` (the
  // tickets as kKeys) once on PostgreSQL; `row(stmt, ticket)` gets each row. Column 0 is the
  // ticket's place (1 with `one`, k.i with `all`).
  template <typename Fn>
  static Status ForTickets(Db& db, Derivation* d, size_t n, const std::string& one,
                           const std::string& all, Fn row) {
    if constexpr (kPostgres) {
      ASSIGN_OR_RETURN(Stmt * s, db.Prepare(all));
      std::string sources = "{", tickets = "{";
      for (size_t k = 0; k < n; ++k) {
        AppendArrayElement(d[k].source, &sources);
        AppendArrayElement(d[k].ticket_id, &tickets);
      }
      s->Bind(1, sources + "}").Bind(2, tickets + "}");
      return s->ForEachRow([&] {
        const int64_t i = s->Int(0);
        if (i >= 1 && static_cast<size_t>(i) <= n) row(*s, d[i - 1]);
      });
    } else {
      ASSIGN_OR_RETURN(Stmt * s, db.Prepare(one));
      for (size_t k = 0; k < n; ++k) {
        s->Bind(1, d[k].source).Bind(2, d[k].ticket_id);
        RETURN_IF_ERROR(s->ForEachRow([&] { row(*s, d[k]); }));
      }
      return Status::Ok();
    }
  }

  // One element of a PostgreSQL array literal, quoted.
  static void AppendArrayElement(std::string_view v, std::string* out) {
    if (out->size() > 1) *out += ',';
    *out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') *out += '\\';
      *out += c;
    }
    *out += '"';
  }

  // Copies the timeline row `s` is on (columns 1..13 of ReadTimeline) into `d`.
  static void AppendStored(const Stmt& s, Derivation& d) {
    static constexpr int kColumn[StoredRows::kText] = {1, 2, 5, 6, 7, 8, 10, 11, 12};
    StoredRows::Row& r = d.stored.rows.emplace_back();
    for (int i = 0; i < StoredRows::kText; ++i) {
      const std::string_view v = s.Text(kColumn[i]);
      r.off[i] = static_cast<uint32_t>(d.stored.blob.size());
      r.len[i] = static_cast<uint32_t>(v.size());
      if (s.IsNull(kColumn[i])) r.nulls |= 1u << i;
      d.stored.blob.append(v);
    }
    r.occurred_us = s.Int(3);
    r.sequence = s.Int(4);
    r.is_public = s.Int(9) != 0;
    r.raw_offset = static_cast<uint64_t>(s.Int(13));
  }

  // The tier the SLA policies see: the one on ticket.created's customer, else that of the
  // requester's latest customer.upserted at or before the creation (else the earliest).
  Result<std::optional<std::string>> CustomerTier(const std::string& source,
                                                  const event::Event& created) {
    if (!policies_->sla_uses_tier())
      return created.customer ? created.customer->tier : std::nullopt;
    return RequesterTier(*w_, source, created);
  }

  static Result<std::optional<std::string>> RequesterTier(Db& db, const std::string& source,
                                                          const event::Event& created) {
    if (created.customer && created.customer->tier) return created.customer->tier;
    std::optional<std::string> requester;
    if (created.ticket && created.ticket->requester) requester = created.ticket->requester;
    if (!requester && created.customer) requester = created.customer->id;
    if (!requester) return std::optional<std::string>();
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Prepare("SELECT customer_tier FROM fact_ticket_event WHERE source = ?1 "
                                "AND customer_id = ?2 AND type = 'customer.upserted' AND "
                                "customer_tier IS NOT NULL ORDER BY occurred_us > ?3, CASE WHEN "
                                "occurred_us <= ?3 THEN -occurred_us ELSE occurred_us END, "
                                "sequence DESC, event_id DESC LIMIT 1"));
    s->Bind(1, source).Bind(2, *requester).Bind(3, created.occurred_at);
    ASSIGN_OR_RETURN(bool row, s->Step());
    std::optional<std::string> tier;
    if (row) tier = s->Text(0);
    s->Reset();
    return tier;
  }

  // Upserts the ticket's SLA rows. A row keeps its change_seq unless something the clocks
  // act on changed (policy, target, an instant, the status), so that they re-read only
  // instances that moved; a decided row that did not change is not rewritten at all (its
  // computed_at stays); instances that no longer exist are deleted. The stored rows are read
  // first (one range), so that unchanged decided rows cost no statement at all and the delete
  // runs only when there is something to delete: a recompute mostly finds nothing to do.
  Status WriteSla(const Derivation& d, uint64_t change_seq, const std::string& loaded_at) {
    const std::string& source = d.source;
    const std::string& ticket_id = d.ticket_id;
    const std::vector<support::SlaInstance>& rows = d.sla;
    int64_t counts[5] = {0, 0, 0, 0, 0};
    for (const support::SlaInstance& r : rows) {
      for (int m = 0; m < 5; ++m) counts[m] += r.metric == support::kSlaMetrics[m];
    }
    bool stale = false;                      // a stored instance beyond the computed ones
    std::vector<char> same(rows.size(), 0);  // decided, and stored exactly so
    for (const Derivation::StoredSla& stored : d.stored_sla) {
      int64_t count = 0;
      for (int m = 0; m < 5; ++m) {
        if (stored.metric == support::kSlaMetrics[m]) count = counts[m];
      }
      if (stored.instance > count) {
        stale = true;
        continue;
      }
      if (stored.active) continue;  // always rewritten
      for (size_t k = 0; k < rows.size(); ++k) {
        const support::SlaInstance& r = rows[k];
        if (r.metric != stored.metric || r.instance != stored.instance) continue;
        const Derivation::SlaText& x = d.sla_text[k];
        same[k] = stored.policy == r.policy && stored.target_s == r.target_s &&
                  stored.business_hours == static_cast<int64_t>(r.business_hours) &&
                  stored.applied == x.applied && stored.due == x.due &&
                  stored.fulfilled == x.fulfilled && stored.breached == x.breached &&
                  stored.warning == x.warning && stored.elapsed_s == r.elapsed_s &&
                  stored.status == r.status && stored.day == x.day;
      }
    }
    if (stale) RETURN_IF_ERROR(DeleteStaleSla(source, ticket_id, counts));
    ASSIGN_OR_RETURN(
        Stmt * ins,
        w_->Prepare(
            "INSERT INTO fact_sla(source, ticket_id, policy, metric, instance, target_s, "
            "business_hours, applied_at, due_at, fulfilled_at, breached_at, warning_at, "
            "elapsed_s, status, decided_day, computed_at, change_seq, loaded_at) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, ticket_id, metric, "
            "instance) DO UPDATE SET policy = excluded.policy, target_s = excluded.target_s, "
            "business_hours = excluded.business_hours, applied_at = excluded.applied_at, "
            "due_at = excluded.due_at, fulfilled_at = excluded.fulfilled_at, breached_at = "
            "excluded.breached_at, warning_at = excluded.warning_at, elapsed_s = "
            "excluded.elapsed_s, status = excluded.status, decided_day = excluded.decided_day, "
            "computed_at = excluded.computed_at, loaded_at = excluded.loaded_at, change_seq = "
            "CASE WHEN (fact_sla.policy, fact_sla.target_s, fact_sla.applied_at, "
            "fact_sla.due_at, fact_sla.fulfilled_at, fact_sla.breached_at, fact_sla.warning_at, "
            "fact_sla.status) IS NOT DISTINCT FROM (excluded.policy, excluded.target_s, "
            "excluded.applied_at, excluded.due_at, excluded.fulfilled_at, excluded.breached_at, "
            "excluded.warning_at, excluded.status) THEN fact_sla.change_seq ELSE "
            "excluded.change_seq END WHERE fact_sla.status = 'active' OR (fact_sla.policy, "
            "fact_sla.target_s, fact_sla.business_hours, fact_sla.applied_at, fact_sla.due_at, "
            "fact_sla.fulfilled_at, fact_sla.breached_at, fact_sla.warning_at, "
            "fact_sla.elapsed_s, fact_sla.status, fact_sla.decided_day) IS DISTINCT FROM "
            "(excluded.policy, excluded.target_s, excluded.business_hours, excluded.applied_at, "
            "excluded.due_at, excluded.fulfilled_at, excluded.breached_at, excluded.warning_at, "
            "excluded.elapsed_s, excluded.status, excluded.decided_day)"));
    const std::string computed_at = FormatRfc3339(clock_.Now());
    for (size_t k = 0; k < rows.size(); ++k) {
      if (same[k]) continue;
      const support::SlaInstance& r = rows[k];
      const Derivation::SlaText& x = d.sla_text[k];
      ins->Bind(1, source).Bind(2, ticket_id).Bind(3, r.policy).Bind(4, r.metric);
      ins->Bind(5, static_cast<int64_t>(r.instance)).Bind(6, r.target_s);
      ins->Bind(7, static_cast<int64_t>(r.business_hours)).Bind(8, x.applied);
      ins->Bind(9, x.due).Bind(10, x.fulfilled).Bind(11, x.breached).Bind(12, x.warning);
      ins->Bind(13, r.elapsed_s).Bind(14, r.status).Bind(15, x.day);
      ins->Bind(16, computed_at).Bind(17, static_cast<int64_t>(change_seq)).Bind(18, loaded_at);
      RETURN_IF_ERROR(ins->Send());
    }
    return Status::Ok();
  }

  // Deletes the ticket's SLA instances beyond `counts` (per kSlaMetrics), and those of
  // metrics that are not one of them.
  Status DeleteStaleSla(const std::string& source, const std::string& ticket_id,
                        const int64_t (&counts)[5]) {
    ASSIGN_OR_RETURN(
        Stmt * del,
        w_->Prepare("DELETE FROM fact_sla WHERE source = ?1 AND ticket_id = ?2 AND instance > "
                    "CASE metric WHEN 'first_reply_time' THEN CAST(?3 AS BIGINT) WHEN "
                    "'next_reply_time' THEN CAST(?4 AS BIGINT) WHEN 'requester_wait_time' THEN "
                    "CAST(?5 AS BIGINT) WHEN 'agent_work_time' THEN CAST(?6 AS BIGINT) WHEN "
                    "'total_resolution_time' THEN CAST(?7 AS BIGINT) ELSE 0 END"));
    del->Bind(1, source).Bind(2, ticket_id);
    for (int m = 0; m < 5; ++m) del->Bind(3 + m, counts[m]);
    return del->Send();
  }

  // The metric columns of fact_ticket, with the day, the tier and the SLA breaches.
  Status WriteMetrics(const Derivation& d) {
    ASSIGN_OR_RETURN(
        Stmt * s,
        w_->Prepare("UPDATE fact_ticket SET schedule = ?, agent_created = ?, first_reply_at = ?, "
                    "first_reply_s = ?, first_reply_business_s = ?, first_solved_at = ?, "
                    "first_resolution_s = ?, first_resolution_business_s = ?, last_solved_at = "
                    "?, full_resolution_s = ?, full_resolution_business_s = ?, reopens = ?, "
                    "agent_replies = ?, customer_messages = ?, internal_notes = ?, "
                    "requester_wait_s = ?, requester_wait_business_s = ?, agent_work_s = ?, "
                    "agent_work_business_s = ?, agent_wait_s = ?, agent_wait_business_s = ?, "
                    "on_hold_s = ?, on_hold_business_s = ?, assignee_stations = ?, "
                    "group_stations = ?, resolution_touches = ?, csat_rating = ?, csat_positive "
                    "= ?, initial_status = ?, created_day = ?, customer_tier = ?, sla_breaches = "
                    "?, derived_digest = ? WHERE source = ? AND ticket_id = ?"));
    const int n = BindMetrics(*s, d);
    s->Bind(n + 1, *d.digest).Bind(n + 2, d.source).Bind(n + 3, d.ticket_id);
    return s->Send();
  }

  // The metric parameters of WriteMetrics's statement, from 1; returns how many.
  template <typename Sink>
  int BindMetrics(Sink& s, const Derivation& d) const {
    const std::optional<support::TicketMetrics>& metrics = d.metrics;
    int i = 0;
    auto bind_time = [&](const std::optional<TimeMicros>& t) {
      t ? s.Bind(++i, FormatRfc3339(*t)) : s.BindNull(++i);
    };
    auto bind_int = [&](const std::optional<int64_t>& v) { v ? s.Bind(++i, *v) : s.BindNull(++i); };
    auto bind_duration = [&](const std::optional<support::Duration>& d) {
      bind_int(d ? std::optional<int64_t>(d->s) : std::nullopt);
      bind_int(d ? std::optional<int64_t>(d->business_s) : std::nullopt);
    };
    const support::TicketMetrics empty;
    const support::TicketMetrics& m = metrics ? *metrics : empty;
    auto when = [&](auto v) { return metrics ? std::optional<int64_t>(v) : std::nullopt; };
    s.Bind(++i, d.schedule->name());
    bind_int(when(static_cast<int64_t>(m.agent_created)));
    bind_time(m.first_reply_at);
    bind_duration(m.first_reply);
    bind_time(m.first_solved_at);
    bind_duration(m.first_resolution);
    bind_time(m.last_solved_at);
    bind_duration(m.full_resolution);
    bind_int(when(m.reopens));
    bind_int(when(m.agent_replies));
    bind_int(when(m.customer_messages));
    bind_int(when(m.internal_notes));
    for (const support::Duration* d :
         {&m.requester_wait, &m.agent_work, &m.agent_wait, &m.on_hold}) {
      bind_int(when(d->s));
      bind_int(when(d->business_s));
    }
    bind_int(when(m.assignee_stations));
    bind_int(when(m.group_stations));
    bind_int(m.resolution_touches);
    m.csat_rating ? s.Bind(++i, *m.csat_rating) : s.BindNull(++i);
    bind_int(m.csat_positive ? std::optional<int64_t>(*m.csat_positive) : std::nullopt);
    metrics ? s.Bind(++i, m.initial_status) : s.BindNull(++i);
    s.Bind(++i, d.created_day);
    s.Bind(++i, d.tier);
    std::optional<int64_t> breaches;
    if (!policies_->sla().empty()) {
      breaches = std::count_if(d.sla.begin(), d.sla.end(), [](const support::SlaInstance& r) {
        return r.status == "breached";
      });
    }
    bind_int(breaches);
    return i;
  }

  // The day columns and the status changes the daily views read.
  Status WriteStatusChanges(const Derivation& d) {
    const std::string& source = d.source;
    const std::string& ticket_id = d.ticket_id;
    const std::optional<support::TicketMetrics>& metrics = d.metrics;
    // Upserts that leave identical rows untouched (a recompute mostly finds them so), and
    // deletes changes past the new count.
    ASSIGN_OR_RETURN(Stmt * del,
                     w_->Prepare("DELETE FROM fact_status_change WHERE source = ? AND ticket_id "
                                 "= ? AND n > ?"));
    del->Bind(1, source).Bind(2, ticket_id);
    del->Bind(3, static_cast<int64_t>(metrics ? metrics->transitions.size() : 0));
    RETURN_IF_ERROR(del->Send());
    if (!metrics) return Status::Ok();
    ASSIGN_OR_RETURN(
        Stmt * ins,
        w_->Prepare(
            "INSERT INTO fact_status_change(source, ticket_id, n, changed_at, changed_us, "
            "day, from_status, to_status, is_solve, is_reopen) "
            "VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source, ticket_id, n) DO UPDATE SET "
            "changed_at = excluded.changed_at, changed_us = excluded.changed_us, day = "
            "excluded.day, from_status = excluded.from_status, to_status = "
            "excluded.to_status, is_solve = excluded.is_solve, is_reopen = "
            "excluded.is_reopen WHERE (fact_status_change.changed_us, fact_status_change.day, "
            "fact_status_change.from_status, fact_status_change.to_status, "
            "fact_status_change.is_solve, fact_status_change.is_reopen) IS DISTINCT FROM "
            "(excluded.changed_us, excluded.day, excluded.from_status, "
            "excluded.to_status, excluded.is_solve, excluded.is_reopen)"));
    for (size_t k = 0; k < metrics->transitions.size(); ++k) {
      BindStatusChange(*ins, d, k);
      RETURN_IF_ERROR(ins->Send());
    }
    return Status::Ok();
  }

  // The k-th status change's row (parameters 1..10 of WriteStatusChanges's upsert).
  template <typename Sink>
  static void BindStatusChange(Sink& s, const Derivation& d, size_t k) {
    const support::Transition& t = d.metrics->transitions[k];
    s.Bind(1, d.source).Bind(2, d.ticket_id).Bind(3, static_cast<int64_t>(k + 1));
    s.Bind(4, d.change_text[k].first).Bind(5, t.at).Bind(6, d.change_text[k].second);
    s.Bind(7, t.from).Bind(8, t.to);
    s.Bind(9, static_cast<int64_t>(t.solve)).Bind(10, static_cast<int64_t>(t.reopen));
  }

  // What WriteTicket, WriteMetrics and WriteStatusChanges write for `d`, as one digest.
  int64_t DigestOf(const Derivation& d) const {
    Digest h;
    BindTicket(h, d.state);
    BindMetrics(h, d);
    const size_t changes = d.metrics ? d.metrics->transitions.size() : 0;
    h.Bind(0, static_cast<int64_t>(changes));
    for (size_t k = 0; k < changes; ++k) BindStatusChange(h, d, k);
    return h.value();
  }

  Status WriteTicket(const TicketState& t, const std::string& loaded_at) {
    ASSIGN_OR_RETURN(
        Stmt * s,
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
    BindTicket(*s, t);
    s->Bind(25, loaded_at);
    return s->Send();
  }

  // Parameters 1..24 of WriteTicket's statement.
  template <typename Sink>
  static void BindTicket(Sink& s, const TicketState& t) {
    s.Bind(1, t.source).Bind(2, t.ticket_id).Bind(3, t.status).Bind(4, t.priority);
    s.Bind(5, t.channel).Bind(6, t.subject).Bind(7, t.group).Bind(8, t.assignee);
    s.Bind(9, t.requester).Bind(10, t.organization).Bind(11, t.brand);
    if (t.tags) {
      s.Bind(12, event::EncodeStringList(*t.tags));
    } else {
      s.BindNull(12);
    }
    if (t.custom_fields.empty()) {
      s.BindNull(13);
    } else {
      s.Bind(13, t.custom_fields);
    }
    s.Bind(14, t.merged_into).Bind(15, FormatRfc3339(t.created_at));
    s.Bind(16, FormatRfc3339(t.updated_at)).Bind(17, t.created_at);
    s.Bind(18, static_cast<int64_t>(t.created_seen)).Bind(19, t.updated_at);
    s.Bind(20, t.event_count).Bind(21, t.last.occurred_at).Bind(22, t.last.sequence);
    s.Bind(23, t.last.event_id).Bind(24, static_cast<int64_t>(t.last_raw_offset));
  }

  // After rows were scrubbed (retention, erasure, consent), their old bytes are overwritten:
  // SQLite copies the WAL back and truncates it; PostgreSQL vacuums the tables, which
  // compacts the pages that held the old row versions.
  Status Overwrite(std::initializer_list<const char*> tables) {
    if constexpr (kPostgres) {
      std::string list;
      for (const char* t : tables) list += std::string(list.empty() ? "" : ", ") + t;
      return w_->Exec("VACUUM " + list);
    } else {
      return w_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }

  std::mutex wmu_;
  std::unique_ptr<Db> w_;  // null when read-only
  PgCopyRows staged_;      // PostgreSQL: the batch's timeline rows (under wmu_)
  std::mutex rmu_;
  std::unique_ptr<Db> r_;
  const Clock& clock_;
  std::unique_ptr<support::Policies> always_ = support::Policies::AlwaysOnly();
  const support::Policies* policies_;
};

}  // namespace

template <typename Db>
std::unique_ptr<Warehouse> MakeSqlWarehouse(std::unique_ptr<Db> writer, std::unique_ptr<Db> reader,
                                            const Clock& clock, const support::Policies* policies) {
  return std::make_unique<SqlWarehouse<Db>>(std::move(writer), std::move(reader), clock, policies);
}

template std::unique_ptr<Warehouse> MakeSqlWarehouse(std::unique_ptr<SqliteDb>,
                                                     std::unique_ptr<SqliteDb>, const Clock&,
                                                     const support::Policies*);
template std::unique_ptr<Warehouse> MakeSqlWarehouse(std::unique_ptr<PgConn>,
                                                     std::unique_ptr<PgConn>, const Clock&,
                                                     const support::Policies*);

}  // namespace supportpipe::warehouse
