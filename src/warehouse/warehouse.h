// Warehouse: the analyst-facing star schema, loaded from the event log.
//
// Tables (docs/warehouse.md): dim_customer, dim_agent, fact_ticket, fact_ticket_event,
// fact_message, fact_status_change, fact_sla, _loads, _positions, and daily views. Every row
// carries lineage (source, event_id, raw_offset, loaded_at).
//
//   ASSIGN_OR_RETURN(LoadStats s, wh.Load("loader", items));   // one transaction
//   ASSIGN_OR_RETURN(uint64_t pos, wh.Position("loader"));     // resume point
//   ASSIGN_OR_RETURN(QueryResult r, wh.Query("SELECT ...", 1000));
//
// Backends: sqlite/. All pass warehouse_contract.h. Thread-safety: Load from one thread
// at a time; Query may run concurrently with Load.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "event/event.h"
#include "support/sla.h"

namespace supportpipe::warehouse {

struct LoadItem {
  uint64_t offset = 0;      // position in the event log
  uint64_t raw_offset = 0;  // lineage
  event::Event event;
};

struct LoadStats {
  size_t events = 0;    // items in the batch
  size_t inserted = 0;  // new timeline rows
  size_t replaced = 0;  // re-derived events whose rows were rewritten
  size_t skipped = 0;   // at or below the consumer's committed position
  size_t tickets = 0;   // fact_ticket rows recomputed
};

struct Cell {
  enum class Kind { kNull, kInt, kReal, kText } kind = Kind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  bool truncated = false;  // more rows than max_rows
};

// One fact_sla row, as the SLA clock reads it.
struct SlaRow {
  std::string source;
  std::string ticket_id;
  support::SlaInstance sla;
  uint64_t change_seq = 0;  // increases with each load (or recompute page) that writes rows
};

// ticket.created events of one dimension value in one time bucket (surge detection).
struct CreationCount {
  std::string value;
  int64_t bucket = 0;  // occurred_at / bucket_s, in seconds since the epoch
  int64_t count = 0;
};

// A ticket's stored timeline (derived events aside), for stages that judge events by the
// ticket's state at that point (the rules).
struct TicketHistory {
  std::vector<event::Event> events;   // in timeline order (TimelineKey)
  std::vector<uint64_t> raw_offsets;  // one per event
  // The tier SLA policies see: the creation's customer's, else the requester's profile's.
  std::optional<std::string> customer_tier;
};

// One person to erase (docs/security.md#erasure): their customer ids per source and the
// strings that identify them (email, name, phone).
struct ErasureSubject {
  std::vector<std::pair<std::string, std::string>> customers;  // (source, customer id)
  std::string replacement;  // what identifiers become: "erased:<hash>"
};

struct ErasureCounts {
  int64_t profiles = 0;  // dim_customer rows deleted
  int64_t tickets = 0;   // fact_ticket rows whose requester and subject were removed
  int64_t messages = 0;  // fact_message rows whose body (and the person's authorship) went
  int64_t events = 0;    // fact_ticket_event rows scrubbed or deleted
};

// One ticket on which the warehouse and the source of truth disagree.
struct ReconciliationDifference {
  std::string ticket;
  std::string difference;  // missing | extra | diverging
  std::string field;       // status, created_at, messages (diverging only)
  std::string truth, warehouse;
};

// A comparison of the warehouse with a source of truth (supportpipe reconcile).
struct ReconciliationRun {
  std::string source;
  std::string truth;  // "api" or the file's path
  TimeMicros from = 0, to = 0, started_at = 0, finished_at = 0;
  int64_t truth_tickets = 0, warehouse_tickets = 0;
  int64_t missing = 0, extra = 0, diverging = 0, repaired = 0;
  std::vector<ReconciliationDifference> differences;  // stored as JSON in `details`
};

class Warehouse {
 public:
  virtual ~Warehouse() = default;

  // Loads events read from the event log (ascending offsets) in one transaction that
  // also stores `consumer`'s position as `through` (the last offset read, which may be
  // past the last item when records were set aside). Items at or below the stored
  // position are skipped, so a batch re-delivered after a crash changes nothing. Each
  // touched ticket's fact_ticket row is re-derived from its timeline sorted by
  // (occurred_at, sequence, event_id), so late and out-of-order events land correctly.
  virtual Result<LoadStats> Load(std::string_view consumer, std::span<const LoadItem> items,
                                 uint64_t through) = 0;

  // The last offset `consumer` loaded (0 if none).
  virtual Result<uint64_t> Position(std::string_view consumer) = 0;

  // Re-derives every ticket's state, metrics and SLA rows from its stored timeline (after
  // schedules or SLA policies change), in pages of one transaction each. `progress` (may be
  // empty) gets (tickets done, tickets in all). Returns the number of tickets.
  virtual Result<size_t> RecomputeAll(
      const std::function<void(size_t done, size_t total)>& progress) = 0;

  // The fact_sla rows the first load after `after_seq` re-derived (every row of that one
  // load, all with the same change_seq), or none when no later load wrote any.
  virtual Result<std::vector<SlaRow>> SlaChangedAfter(uint64_t after_seq) = 0;
  // Every fact_sla row with status "active" (a running clock).
  virtual Result<std::vector<SlaRow>> ActiveSla() = 0;
  // The fact_sla rows of one ticket.
  virtual Result<std::vector<SlaRow>> SlaOf(std::string_view source,
                                            std::string_view ticket_id) = 0;

  // The stored timeline of one ticket (empty when none).
  virtual Result<TicketHistory> History(std::string_view source, std::string_view ticket_id) = 0;

  // ticket.created events per value of `dimension` (channel, tags: one count per tag, or
  // group, as the creation carried it) and bucket, for buckets in [from_bucket, to_bucket],
  // ordered by bucket.
  virtual Result<std::vector<CreationCount>> CreationCounts(std::string_view dimension,
                                                            int64_t bucket_s, int64_t from_bucket,
                                                            int64_t to_bucket) = 0;

  // Retention: clears the body of every fact_message that occurred before `before` (the row,
  // its author and time stay for the metrics); returns how many. Deleted bytes are overwritten.
  virtual Result<int64_t> PurgeMessageBodies(TimeMicros before) = 0;

  // Erasure: deletes the person's profiles; on the tickets they requested removes the
  // requester (becomes `replacement`), the subject and every message body; removes their id
  // from other rows. Metric rows stay. Deleted bytes are overwritten.
  virtual Result<ErasureCounts> Erase(const ErasureSubject& subject) = 0;

  // Consent ([privacy.consent.*], docs/security.md#consent). Loads apply the rules to the
  // people each batch touches. ApplyConsentPolicy applies them to every stored person when
  // the rules changed since the last run (0 when they did not), in pages, each in its own
  // transaction; `progress` may be empty.
  virtual Result<size_t> ApplyConsentPolicy(
      const std::function<void(size_t done, size_t total)>& progress) = 0;
  // The purposes a customer has not given (stated or by default), for the customer
  // `customer_id`, or the requester of `ticket_id` when the customer id is empty.
  virtual Result<std::vector<std::string>> WithheldConsents(std::string_view source,
                                                            std::string_view customer_id,
                                                            std::string_view ticket_id) = 0;

  // Runs one read-only SQL statement. InvalidArgument for SQL that would write or does
  // not compile.
  virtual Result<QueryResult> Query(std::string_view sql, size_t max_rows) = 0;

  // One reconciliation run's outcome, kept in _reconciliation (docs/warehouse.md).
  virtual Status RecordReconciliation(const ReconciliationRun& run) = 0;
};

}  // namespace supportpipe::warehouse
