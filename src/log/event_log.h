// EventLog: the durable, replayable logs between pipeline stages.
//
// Two streams: "raw" (the exact bytes each sender gave us) and "events" (canonical
// events). Every stage is a consumer with its own committed cursor; it commits only
// after its own output is durable, so a crash replays a little and loses nothing.
// Appends are idempotent by key, so at-least-once hand-offs give exactly-once effect.
//
//   std::vector<AppendResult> res;
//   RETURN_IF_ERROR(log.AppendRaw(records, &res));      // durable when OK
//   ASSIGN_OR_RETURN(auto batch, log.ReadRaw(cursor, 1000));
//   ... process ...
//   RETURN_IF_ERROR(log.CommitCursor("processor", batch.back().offset));
//
// Backends: sqlite/ (embedded), jetstream/ (NATS JetStream + PostgreSQL, for several
// processes). All implementations pass event_log_contract.h.
// Thread-safety: implementations may be called from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace supportpipe::log {

using Offset = uint64_t;  // 1-based, increasing in commit order; 0 = "before the first"

struct RawRecord {
  Offset offset = 0;        // set by the log
  std::string source;       // configured source name
  std::string kind;         // how it arrived: sources::kKindEvent, kWebhook, "export:..."
  std::string vendor;       // the source's vendor at receipt time
  std::string delivery_id;  // de-duplication key within the source
  TimeMicros received_at = 0;
  std::string headers;  // JSON object of the request headers kept for lineage
  std::string body;     // exactly as received
};

struct EventRecord {
  Offset offset = 0;  // set by the log
  std::string source;
  std::string event_id;
  std::string ticket_id;  // "" when not about a ticket; the partition key
  std::string type;
  TimeMicros occurred_at = 0;
  Offset raw_offset = 0;  // lineage: the raw record it came from
  std::string payload;    // event::EncodeEvent
};

enum class AppendOutcome {
  kAppended,   // new
  kDuplicate,  // the key was already there; nothing changed
  kReplaced,   // same key from the same raw record, new payload (a replay after a fix)
};

struct AppendResult {
  AppendOutcome outcome = AppendOutcome::kAppended;
  Offset offset = 0;  // where the record now is (the existing one for duplicates)
};

struct DeadLetter {
  int64_t id = 0;     // set by the log
  std::string stage;  // "decode", "validate", "load", ...
  std::string reason;
  std::string field;  // JSON pointer, when known
  std::string source;
  Offset raw_offset = 0;
  int64_t item = 0;  // index of the event inside a raw batch
  std::string event_id;
  TimeMicros created_at = 0;
  std::string state = "open";  // open | replayed
  int64_t attempts = 1;
};

// Fields outside a source's documented shape, kept under attributes: schema drift.
struct DriftField {
  std::string source;
  std::string field;  // "detail.new_flag"
  int64_t count = 0;
  TimeMicros first_seen = 0;
  TimeMicros last_seen = 0;
  std::string last_event_id;
};

// One event on its way to one destination: the outbox row the deliverer works from.
struct Delivery {
  int64_t id = 0;  // set by the log
  std::string destination;
  std::string source;
  std::string event_id;
  std::string type;
  Offset event_offset = 0;
  std::string message_id;         // the webhook-id: the same on every attempt
  std::string payload;            // the body sent
  std::string state = "pending";  // pending | delivered | dead | skipped
  int64_t attempts = 0;
  TimeMicros next_attempt_at = 0;
  TimeMicros created_at = 0;
  TimeMicros updated_at = 0;
  int64_t last_status = 0;  // HTTP status of the last attempt; 0 = none or no answer
  std::string last_error;
  TimeMicros event_received_at = 0;  // when the event was received (or derived)
};

struct DeliveryCounts {
  int64_t pending = 0;
  int64_t dead = 0;
  TimeMicros oldest_pending_at = 0;  // created_at of the oldest pending; 0 = none
};

struct DeliveryFilter {
  std::string destination;  // "" = any
  std::string state;        // "" = any
  // Set: only pending deliveries due by then, soonest first. Unset: by id.
  std::optional<TimeMicros> due_by;
  int64_t after_id = 0;
  size_t max = 100;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // A held exclusive role; destroying it (or the process ending) lets it go.
  class Lease {
   public:
    virtual ~Lease() = default;
  };
  // Takes the lock `name` ("worker": the one process that runs the pipeline's stages) when
  // no other holder has it, in this process or any other using the same log: the lease, or
  // null while another holds it.
  virtual Result<std::unique_ptr<Lease>> TryLock(std::string_view name) = 0;

  // Calls `fn` (on a thread of the log's) soon after any process appended to `stream` ("raw"
  // or "events"), so that a stage in another process need not wait for its next poll, until
  // the returned object is destroyed. May also call it for this process's appends. Null
  // when the log cannot tell (the stage then polls).
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  virtual std::unique_ptr<Subscription> Watch(std::string_view stream, std::function<void()> fn) {
    (void)stream;
    (void)fn;
    return nullptr;
  }

  // How many AppendRaw calls are worth running at once: 1 for a log that serialises its
  // writers (SQLite); more where a call mostly waits on the network (JetStream).
  virtual int parallel_appends() const { return 1; }

  // Appends raw records in one durable step: when OK is returned every record is on
  // stable storage. A record whose (source, delivery_id) is already present is not
  // stored again; its result is kDuplicate with the existing offset. `results` gets one
  // entry per record, in order. Unavailable on a transient storage failure.
  virtual Status AppendRaw(std::span<const RawRecord> records,
                           std::vector<AppendResult>* results) = 0;

  // Up to `max` raw records with offset > `after`, in offset order.
  virtual Result<std::vector<RawRecord>> ReadRaw(Offset after, size_t max) = 0;
  virtual Result<std::optional<RawRecord>> GetRaw(Offset offset) = 0;
  // Raw records of `source` received in [from, to), offset > after, in offset order.
  virtual Result<std::vector<RawRecord>> FindRaw(std::string_view source, TimeMicros from,
                                                 TimeMicros to, Offset after, size_t max) = 0;

  // Appends canonical events durably. The first event with a given (source, event_id)
  // wins: a later one from another raw record is kDuplicate. The same key from the same
  // raw record with a different payload is kReplaced: the event moves to a new offset
  // so that consumers load the re-derived version. Identical payloads are kDuplicate.
  // Events with raw_offset 0 (derived by supportpipe itself, such as sla.breached) are
  // never replaced: the first one recorded stands.
  virtual Status AppendEvents(std::span<const EventRecord> records,
                              std::vector<AppendResult>* results) = 0;
  virtual Result<std::vector<EventRecord>> ReadEvents(Offset after, size_t max) = 0;

  // The highest offset of a record still in a stream ("raw" or "events"); 0 when empty.
  virtual Result<Offset> LastOffset(std::string_view stream) = 0;

  // A consumer's committed position (0 when it never committed).
  virtual Result<Offset> GetCursor(std::string_view consumer) = 0;
  // Durably records a consumer's position. Positions only move forward unless
  // `allow_rewind` (replays from the start).
  virtual Status CommitCursor(std::string_view consumer, Offset offset,
                              bool allow_rewind = false) = 0;

  // Records failures. Idempotent per (stage, raw_offset, item): a repeat updates the
  // reason, re-opens the entry and counts the attempt.
  virtual Status AddDeadLetters(std::span<const DeadLetter> letters) = 0;
  // Entries with id > after_id (state "" = any), oldest first.
  virtual Result<std::vector<DeadLetter>> ListDeadLetters(std::string_view state, int64_t after_id,
                                                          size_t max) = 0;
  virtual Result<std::optional<DeadLetter>> GetDeadLetter(int64_t id) = 0;
  virtual Status SetDeadLetterState(int64_t id, std::string_view state) = 0;
  virtual Result<int64_t> CountDeadLetters(std::string_view state) = 0;

  // Adds observations of drift: counts add up per (source, field), first_seen keeps the
  // earliest, last_seen and last_event_id the latest.
  virtual Status RecordDrift(std::span<const DriftField> observations) = 0;
  // Every drifting field of `source` ("" = all), by source then field.
  virtual Result<std::vector<DriftField>> ListDrift(std::string_view source) = 0;

  // The outbox. Enqueuing is idempotent per (destination, source, event_id): a delivery
  // already there is left as it is. Durable when OK is returned.
  virtual Status EnqueueDeliveries(std::span<const Delivery> deliveries) = 0;
  virtual Result<std::vector<Delivery>> ListDeliveries(const DeliveryFilter& filter) = 0;
  virtual Result<std::optional<Delivery>> GetDelivery(int64_t id) = 0;
  // A destination's pending and dead deliveries, and when the oldest pending one was queued.
  virtual Result<DeliveryCounts> CountDeliveries(std::string_view destination) = 0;
  // Stores a delivery's state, attempts, next_attempt_at, updated_at, last_status and
  // last_error (by id). Durable when OK is returned.
  virtual Status UpdateDelivery(const Delivery& delivery) = 0;

  // Retention (docs/security.md#retention); deleted bytes are overwritten.
  // Deletes raw records received before `before` whose offset is at most `through` (already
  // processed); returns how many.
  virtual Result<int64_t> PurgeRaw(TimeMicros before, Offset through) = 0;
  // Deletes dead letters created before `before`; returns how many.
  virtual Result<int64_t> PurgeDeadLetters(TimeMicros before) = 0;
  // Offers every event that occurred before `before` and whose payload contains `needle` to
  // `rewrite`, which returns the new payload (nullopt: leave it); the rest of the record stays.
  // Returns how many were rewritten. A backend that cannot change a stored record (JetStream)
  // appends the rewritten event again and erases the old one, as for a re-derived event.
  virtual Result<int64_t> RewriteEvents(
      TimeMicros before, std::string_view needle,
      const std::function<std::optional<std::string>(const EventRecord&)>& rewrite) = 0;

  // Erasure (docs/security.md#erasure): deletes these raw records and the dead letters that
  // point at them; returns the numbers of each. Deleted bytes are overwritten.
  virtual Result<std::pair<int64_t, int64_t>> DeleteRaw(std::span<const Offset> offsets) = 0;
  // Deletes these outbox rows; returns how many.
  virtual Result<int64_t> DeleteDeliveries(std::span<const int64_t> ids) = 0;

  // Small durable values by key, for connectors' positions ("sync:acme" -> a cursor).
  // PutState is durable when it returns.
  virtual Result<std::optional<std::string>> GetState(std::string_view key) = 0;
  virtual Status PutState(std::string_view key, std::string_view value) = 0;
};

}  // namespace supportpipe::log
