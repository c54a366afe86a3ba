#include "log/sqlite/sqlite_event_log.h"

#include <fmt/format.h>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <thread>

#include "common/file_lock.h"
#include "common/sqlite_db.h"
#include "log/raw_seal.h"

namespace supportpipe::log {
namespace {

// Two files, so the intake's group commits never wait for the processor's writes: the raw
// log alone in raw.db; the event log, cursors and dead letters in events.db.
constexpr const char* kRawSchema = R"sql(
CREATE TABLE IF NOT EXISTS raw_events(
  offset      INTEGER PRIMARY KEY AUTOINCREMENT,
  source      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  vendor      TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  headers     TEXT NOT NULL,
  body        BLOB NOT NULL,
  UNIQUE(source, delivery_id));
CREATE INDEX IF NOT EXISTS raw_events_by_source_time ON raw_events(source, received_at);
)sql";

constexpr const char* kEventsSchema = R"sql(
CREATE TABLE IF NOT EXISTS events(
  offset      INTEGER PRIMARY KEY AUTOINCREMENT,
  source      TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  ticket_id   TEXT NOT NULL,
  type        TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  raw_offset  INTEGER NOT NULL,
  payload     TEXT NOT NULL,
  UNIQUE(source, event_id));
CREATE TABLE IF NOT EXISTS cursors(
  consumer TEXT PRIMARY KEY,
  offset   INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  stage       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  field       TEXT NOT NULL,
  source      TEXT NOT NULL,
  raw_offset  INTEGER NOT NULL,
  item        INTEGER NOT NULL,
  event_id    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  UNIQUE(stage, raw_offset, item));
CREATE INDEX IF NOT EXISTS dead_letters_by_state ON dead_letters(state, id);
CREATE TABLE IF NOT EXISTS drift(
  source        TEXT NOT NULL,
  field         TEXT NOT NULL,
  count         INTEGER NOT NULL,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  last_event_id TEXT NOT NULL,
  PRIMARY KEY(source, field));
CREATE TABLE IF NOT EXISTS state(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  destination     TEXT NOT NULL,
  source          TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  type            TEXT NOT NULL,
  event_offset    INTEGER NOT NULL,
  message_id      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  last_status     INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  event_received_at INTEGER NOT NULL DEFAULT 0,
  UNIQUE(destination, source, event_id));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(destination, next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox(destination) WHERE state = 'dead';
)sql";

// Columns added after the first release, for files created before them.
constexpr const char* kOutboxUpgrade =
    "ALTER TABLE outbox ADD COLUMN event_received_at INTEGER NOT NULL DEFAULT 0";

constexpr const char* kRawColumns =
    "offset, source, kind, vendor, delivery_id, received_at, headers, body";
constexpr const char* kDeadLetterColumns =
    "id, stage, reason, field, source, raw_offset, item, event_id, created_at, state, attempts";

constexpr const char* kDeliveryColumns =
    "id, destination, source, event_id, type, event_offset, message_id, payload, state, "
    "attempts, next_attempt_at, created_at, updated_at, last_status, last_error, "
    "event_received_at";

Delivery DeliveryFromRow(const SqliteStmt& s) {
  Delivery d;
  d.id = s.Int(0);
  d.destination = s.Text(1);
  d.source = s.Text(2);
  d.event_id = s.Text(3);
  d.type = s.Text(4);
  d.event_offset = static_cast<Offset>(s.Int(5));
  d.message_id = s.Text(6);
  d.payload = s.Text(7);
  d.state = s.Text(8);
  d.attempts = s.Int(9);
  d.next_attempt_at = s.Int(10);
  d.created_at = s.Int(11);
  d.updated_at = s.Int(12);
  d.last_status = s.Int(13);
  d.last_error = s.Text(14);
  d.event_received_at = s.Int(15);
  return d;
}

constexpr const char* kEventColumns =
    "offset, source, event_id, ticket_id, type, occurred_at, raw_offset, payload";

EventRecord EventFromRow(const SqliteStmt& s) {
  EventRecord e;
  e.offset = static_cast<Offset>(s.Int(0));
  e.source = s.Text(1);
  e.event_id = s.Text(2);
  e.ticket_id = s.Text(3);
  e.type = s.Text(4);
  e.occurred_at = s.Int(5);
  e.raw_offset = static_cast<Offset>(s.Int(6));
  e.payload = s.Text(7);
  return e;
}

RawRecord RawFromRow(const SqliteStmt& s) {
  RawRecord r;
  r.offset = static_cast<Offset>(s.Int(0));
  r.source = s.Text(1);
  r.kind = s.Text(2);
  r.vendor = s.Text(3);
  r.delivery_id = s.Text(4);
  r.received_at = s.Int(5);
  r.headers = s.Text(6);
  r.body = s.Text(7);
  return r;
}

DeadLetter DeadLetterFromRow(const SqliteStmt& s) {
  DeadLetter d;
  d.id = s.Int(0);
  d.stage = s.Text(1);
  d.reason = s.Text(2);
  d.field = s.Text(3);
  d.source = s.Text(4);
  d.raw_offset = static_cast<Offset>(s.Int(5));
  d.item = s.Int(6);
  d.event_id = s.Text(7);
  d.created_at = s.Int(8);
  d.state = s.Text(9);
  d.attempts = s.Int(10);
  return d;
}

template <typename T, typename RowFn>
Result<std::vector<T>> Collect(SqliteStmt& s, RowFn fn) {
  std::vector<T> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(fn(s));
  }
  s.Reset();
  return out;
}

// One file's connections: a writer and a reader (WAL lets them work side by side).
struct Db {
  std::mutex wmu;
  std::unique_ptr<SqliteDb> w;
  std::mutex rmu;
  std::unique_ptr<SqliteDb> r;
};

// Moves the WAL into the database file and truncates it, so that deleted bytes (overwritten
// there by secure_delete) do not live on in the WAL either.
Status Checkpoint(Db& db) {
  std::lock_guard lock(db.wmu);
  return db.w->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// Runs `body(writer)` in one write transaction on `db`, committed when it returns OK.
template <typename Fn>
Status InWriteTxn(Db& db, Fn body) {
  std::lock_guard lock(db.wmu);
  SqliteTxn txn(*db.w);
  RETURN_IF_ERROR(txn.Begin());
  RETURN_IF_ERROR(body(*db.w));
  return txn.Commit();
}

class SqliteEventLog final : public EventLog {
 public:
  SqliteEventLog(std::string dir, std::unique_ptr<Db> raw, std::unique_ptr<Db> events,
                 std::shared_ptr<const PayloadCipher> cipher)
      : dir_(std::move(dir)),
        raw_(std::move(raw)),
        ev_(std::move(events)),
        cipher_(std::move(cipher)) {}

  // Another process's commits to the raw log write raw.db-wal: inotify on the directory
  // tells us (an intake process and a worker process sharing the data directory). Not for
  // events: events.db also holds every stage's cursor, so its WAL changes all the time.
  std::unique_ptr<Subscription> Watch(std::string_view stream, std::function<void()> fn) override {
    if (stream != "raw") return nullptr;
    struct InotifyWatch : Subscription {
      int fd = -1;
      int stop = -1;  // eventfd that ends the thread
      std::thread thread;
      ~InotifyWatch() override {
        const uint64_t one = 1;
        if (::write(stop, &one, sizeof one) < 0) {
          // The thread also ends when the descriptors close below.
        }
        if (thread.joinable()) thread.join();
        ::close(fd);
        ::close(stop);
      }
    };
    auto w = std::make_unique<InotifyWatch>();
    w->fd = inotify_init1(IN_CLOEXEC);
    w->stop = eventfd(0, EFD_CLOEXEC);
    if (w->fd < 0 || w->stop < 0 ||
        inotify_add_watch(w->fd, dir_.c_str(), IN_MODIFY | IN_CREATE) < 0) {
      return nullptr;  // the worker still polls
    }
    w->thread = std::thread([fd = w->fd, stop = w->stop, fn = std::move(fn)] {
      pthread_setname_np(pthread_self(), "raw-watch");
      alignas(inotify_event) char buf[4096];
      for (;;) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents) return;
        if (!(fds[0].revents & POLLIN)) continue;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) continue;
        bool written = false;
        for (ssize_t i = 0; i < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buf + i);
          if (e->len && std::string_view(e->name) == "raw.db-wal") written = true;
          i += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
        if (written) fn();
      }
    });
    return w;
  }

  // A lock file beside the databases: <dir>/<name>.lock.
  Result<std::unique_ptr<Lease>> TryLock(std::string_view name) override {
    struct FileLease : Lease {
      std::unique_ptr<FileLock> lock;
    };
    ASSIGN_OR_RETURN(auto lock, FileLock::TryAcquire(dir_ + "/" + std::string(name) + ".lock"));
    if (!lock) return std::unique_ptr<Lease>();
    auto lease = std::make_unique<FileLease>();
    lease->lock = std::move(lock);
    return std::unique_ptr<Lease>(std::move(lease));
  }

  Status AppendRaw(std::span<const RawRecord> records,
                   std::vector<AppendResult>* results) override {
    results->clear();
    return InWriteTxn(*raw_, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(SqliteStmt * ins,
                       w.Prepare("INSERT INTO raw_events(source, kind, vendor, delivery_id, "
                                 "received_at, headers, body) VALUES(?,?,?,?,?,?,?) "
                                 "ON CONFLICT(source, delivery_id) DO NOTHING"));
      for (const RawRecord& r : records) {
        ins->Bind(1, r.source).Bind(2, r.kind).Bind(3, r.vendor).Bind(4, r.delivery_id);
        ins->Bind(5, r.received_at).Bind(6, r.headers);
        if (cipher_) {
          ins->BindBlob(7, cipher_->Seal(r.body, RawSealContext(r)));
        } else {
          ins->BindBlob(7, r.body);
        }
        RETURN_IF_ERROR(ins->Run());
        if (w.Changes() == 1) {
          results->push_back({AppendOutcome::kAppended, static_cast<Offset>(w.LastInsertRowid())});
          continue;
        }
        ASSIGN_OR_RETURN(SqliteStmt * q, w.Prepare("SELECT offset FROM raw_events WHERE "
                                                   "source = ? AND delivery_id = ?"));
        q->Bind(1, r.source).Bind(2, r.delivery_id);
        ASSIGN_OR_RETURN(bool row, q->Step());
        SP_CHECK(row);
        results->push_back({AppendOutcome::kDuplicate, static_cast<Offset>(q->Int(0))});
        q->Reset();
      }
      return Status::Ok();
    });
  }

  Result<std::vector<RawRecord>> ReadRaw(Offset after, size_t max) override {
    std::lock_guard lock(raw_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     raw_->r->Prepare(std::string("SELECT ") + kRawColumns +
                                      " FROM raw_events WHERE offset > ? ORDER BY offset LIMIT ?"));
    s->Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(max));
    return Unsealed(Collect<RawRecord>(*s, RawFromRow));
  }

  Result<std::optional<RawRecord>> GetRaw(Offset offset) override {
    std::lock_guard lock(raw_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s, raw_->r->Prepare(std::string("SELECT ") + kRawColumns +
                                                      " FROM raw_events WHERE offset = ?"));
    s->Bind(1, static_cast<int64_t>(offset));
    ASSIGN_OR_RETURN(auto rows, Unsealed(Collect<RawRecord>(*s, RawFromRow)));
    if (rows.empty()) return std::optional<RawRecord>();
    return std::optional<RawRecord>(std::move(rows[0]));
  }

  Result<std::vector<RawRecord>> FindRaw(std::string_view source, TimeMicros from, TimeMicros to,
                                         Offset after, size_t max) override {
    std::lock_guard lock(raw_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     raw_->r->Prepare(std::string("SELECT ") + kRawColumns +
                                      " FROM raw_events WHERE source = ? AND received_at >= ? AND "
                                      "received_at < ? AND offset > ? ORDER BY offset LIMIT ?"));
    s->Bind(1, source).Bind(2, from).Bind(3, to).Bind(4, static_cast<int64_t>(after));
    s->Bind(5, static_cast<int64_t>(max));
    return Unsealed(Collect<RawRecord>(*s, RawFromRow));
  }

  Status AppendEvents(std::span<const EventRecord> records,
                      std::vector<AppendResult>* results) override {
    results->clear();
    return InWriteTxn(*ev_, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(SqliteStmt * ins,
                       w.Prepare("INSERT INTO events(source, event_id, ticket_id, type, "
                                 "occurred_at, raw_offset, payload) VALUES(?,?,?,?,?,?,?) "
                                 "ON CONFLICT(source, event_id) DO NOTHING"));
      // Returns true when the row went in (false: the key was already there).
      auto insert = [&](const EventRecord& e) -> Result<bool> {
        ins->Bind(1, e.source).Bind(2, e.event_id).Bind(3, e.ticket_id).Bind(4, e.type);
        ins->Bind(5, e.occurred_at).Bind(6, static_cast<int64_t>(e.raw_offset)).Bind(7, e.payload);
        RETURN_IF_ERROR(ins->Run());
        return w.Changes() == 1;
      };
      for (const EventRecord& e : records) {
        ASSIGN_OR_RETURN(bool inserted, insert(e));
        if (inserted) {
          results->push_back({AppendOutcome::kAppended, static_cast<Offset>(w.LastInsertRowid())});
          continue;
        }
        ASSIGN_OR_RETURN(SqliteStmt * q, w.Prepare("SELECT offset, raw_offset, payload FROM "
                                                   "events WHERE source = ? AND event_id = ?"));
        q->Bind(1, e.source).Bind(2, e.event_id);
        ASSIGN_OR_RETURN(bool row, q->Step());
        SP_CHECK(row);
        const Offset existing = static_cast<Offset>(q->Int(0));
        const bool rederived = e.raw_offset != 0 &&
                               static_cast<Offset>(q->Int(1)) == e.raw_offset &&
                               q->Text(2) != e.payload;
        q->Reset();
        if (!rederived) {
          results->push_back({AppendOutcome::kDuplicate, existing});
          continue;
        }
        // Moves the event to a new offset, so that consumers see the re-derived version.
        ASSIGN_OR_RETURN(SqliteStmt * del, w.Prepare("DELETE FROM events WHERE offset = ?"));
        del->Bind(1, static_cast<int64_t>(existing));
        RETURN_IF_ERROR(del->Run());
        ASSIGN_OR_RETURN(inserted, insert(e));
        SP_CHECK(inserted);
        results->push_back({AppendOutcome::kReplaced, static_cast<Offset>(w.LastInsertRowid())});
      }
      return Status::Ok();
    });
  }

  Result<std::vector<EventRecord>> ReadEvents(Offset after, size_t max) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->r->Prepare(std::string("SELECT ") + kEventColumns +
                                     " FROM events WHERE offset > ? ORDER BY offset LIMIT ?"));
    s->Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(max));
    return Collect<EventRecord>(*s, EventFromRow);
  }

  Result<Offset> LastOffset(std::string_view stream) override {
    if (stream != "raw" && stream != "events") return InvalidArgument("unknown stream");
    Db& db = stream == "raw" ? *raw_ : *ev_;
    std::lock_guard lock(db.rmu);
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        db.r->Prepare(stream == "raw" ? "SELECT COALESCE(MAX(offset), 0) FROM raw_events"
                                      : "SELECT COALESCE(MAX(offset), 0) FROM events"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    const Offset out = row ? static_cast<Offset>(s->Int(0)) : 0;
    s->Reset();
    return out;
  }

  Result<Offset> GetCursor(std::string_view consumer) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->r->Prepare("SELECT offset FROM cursors WHERE consumer = ?"));
    s->Bind(1, consumer);
    ASSIGN_OR_RETURN(bool row, s->Step());
    const Offset out = row ? static_cast<Offset>(s->Int(0)) : 0;
    s->Reset();
    return out;
  }

  Status CommitCursor(std::string_view consumer, Offset offset, bool allow_rewind) override {
    std::lock_guard lock(ev_->wmu);
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        ev_->w->Prepare(allow_rewind ? "INSERT INTO cursors(consumer, offset) VALUES(?, ?) ON "
                                       "CONFLICT(consumer) DO UPDATE SET offset = excluded.offset"
                                     : "INSERT INTO cursors(consumer, offset) VALUES(?, ?) ON "
                                       "CONFLICT(consumer) DO UPDATE SET offset = "
                                       "MAX(offset, excluded.offset)"));
    s->Bind(1, consumer).Bind(2, static_cast<int64_t>(offset));
    return s->Run();
  }

  Status AddDeadLetters(std::span<const DeadLetter> letters) override {
    return InWriteTxn(*ev_, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(
          SqliteStmt * s,
          w.Prepare("INSERT INTO dead_letters(stage, reason, field, source, raw_offset, item, "
                    "event_id, created_at, state, attempts) VALUES(?,?,?,?,?,?,?,?,'open',1) "
                    "ON CONFLICT(stage, raw_offset, item) DO UPDATE SET reason = excluded.reason, "
                    "field = excluded.field, state = 'open', attempts = attempts + 1"));
      for (const DeadLetter& d : letters) {
        s->Bind(1, d.stage).Bind(2, d.reason).Bind(3, d.field).Bind(4, d.source);
        s->Bind(5, static_cast<int64_t>(d.raw_offset)).Bind(6, d.item).Bind(7, d.event_id);
        s->Bind(8, d.created_at);
        RETURN_IF_ERROR(s->Run());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<DeadLetter>> ListDeadLetters(std::string_view state, int64_t after_id,
                                                  size_t max) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->r->Prepare(std::string("SELECT ") + kDeadLetterColumns +
                                     " FROM dead_letters WHERE (? = '' OR state = ?) AND id > ? "
                                     "ORDER BY id LIMIT ?"));
    s->Bind(1, state).Bind(2, state).Bind(3, after_id).Bind(4, static_cast<int64_t>(max));
    return Collect<DeadLetter>(*s, DeadLetterFromRow);
  }

  Result<std::optional<DeadLetter>> GetDeadLetter(int64_t id) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s, ev_->r->Prepare(std::string("SELECT ") + kDeadLetterColumns +
                                                     " FROM dead_letters WHERE id = ?"));
    s->Bind(1, id);
    ASSIGN_OR_RETURN(auto rows, Collect<DeadLetter>(*s, DeadLetterFromRow));
    if (rows.empty()) return std::optional<DeadLetter>();
    return std::optional<DeadLetter>(std::move(rows[0]));
  }

  Status SetDeadLetterState(int64_t id, std::string_view state) override {
    std::lock_guard lock(ev_->wmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->w->Prepare("UPDATE dead_letters SET state = ? WHERE id = ?"));
    s->Bind(1, state).Bind(2, id);
    RETURN_IF_ERROR(s->Run());
    if (ev_->w->Changes() == 0) return NotFound("no dead letter with id " + std::to_string(id));
    return Status::Ok();
  }

  Result<int64_t> CountDeadLetters(std::string_view state) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        ev_->r->Prepare("SELECT COUNT(*) FROM dead_letters WHERE (? = '' OR state = ?)"));
    s->Bind(1, state).Bind(2, state);
    ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t n = row ? s->Int(0) : 0;
    s->Reset();
    return n;
  }

  Result<int64_t> PurgeRaw(TimeMicros before, Offset through) override {
    return Delete(
        *raw_, "DELETE FROM raw_events WHERE received_at < ? AND offset <= ?", 1,
        [&](SqliteStmt& s, size_t) { s.Bind(1, before).Bind(2, static_cast<int64_t>(through)); });
  }

  Result<std::pair<int64_t, int64_t>> DeleteRaw(std::span<const Offset> offsets) override {
    auto bind = [&](SqliteStmt& s, size_t i) { s.Bind(1, static_cast<int64_t>(offsets[i])); };
    ASSIGN_OR_RETURN(int64_t raw, Delete(*raw_, "DELETE FROM raw_events WHERE offset = ?",
                                         offsets.size(), bind));
    ASSIGN_OR_RETURN(int64_t letters, Delete(*ev_, "DELETE FROM dead_letters WHERE raw_offset = ?",
                                             offsets.size(), bind));
    return std::make_pair(raw, letters);
  }

  Result<int64_t> DeleteDeliveries(std::span<const int64_t> ids) override {
    return Delete(*ev_, "DELETE FROM outbox WHERE id = ?", ids.size(),
                  [&](SqliteStmt& s, size_t i) { s.Bind(1, ids[i]); });
  }

  Result<int64_t> PurgeDeadLetters(TimeMicros before) override {
    return Delete(*ev_, "DELETE FROM dead_letters WHERE created_at < ?", 1,
                  [&](SqliteStmt& s, size_t) { s.Bind(1, before); });
  }

  Result<int64_t> RewriteEvents(
      TimeMicros before, std::string_view needle,
      const std::function<std::optional<std::string>(const EventRecord&)>& rewrite) override {
    int64_t n = 0;
    Offset after = 0;
    for (;;) {
      // Pages of their own transactions, so appends are not held up for long.
      std::vector<EventRecord> page;
      {
        std::lock_guard lock(ev_->rmu);
        ASSIGN_OR_RETURN(SqliteStmt * s,
                         ev_->r->Prepare(std::string("SELECT ") + kEventColumns +
                                         " FROM events WHERE offset > ? AND occurred_at < ? AND "
                                         "instr(payload, ?) > 0 ORDER BY offset LIMIT 500"));
        s->Bind(1, static_cast<int64_t>(after)).Bind(2, before).Bind(3, needle);
        ASSIGN_OR_RETURN(page, Collect<EventRecord>(*s, EventFromRow));
      }
      if (page.empty()) break;
      after = page.back().offset;
      RETURN_IF_ERROR(InWriteTxn(*ev_, [&](SqliteDb& w) -> Status {
        ASSIGN_OR_RETURN(SqliteStmt * u,
                         w.Prepare("UPDATE events SET payload = ? WHERE offset = ?"));
        for (const EventRecord& e : page) {
          std::optional<std::string> payload = rewrite(e);
          if (!payload || *payload == e.payload) continue;
          u->Bind(1, *payload).Bind(2, static_cast<int64_t>(e.offset));
          RETURN_IF_ERROR(u->Run());
          ++n;
        }
        return Status::Ok();
      }));
    }
    if (n) RETURN_IF_ERROR(Checkpoint(*ev_));
    return n;
  }

  Status RecordDrift(std::span<const DriftField> observations) override {
    return InWriteTxn(*ev_, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(
          SqliteStmt * s,
          w.Prepare("INSERT INTO drift(source, field, count, first_seen, last_seen, "
                    "last_event_id) VALUES(?,?,?,?,?,?) ON CONFLICT(source, field) DO UPDATE SET "
                    "count = count + excluded.count, first_seen = MIN(first_seen, "
                    "excluded.first_seen), last_event_id = CASE WHEN excluded.last_seen >= "
                    "last_seen THEN excluded.last_event_id ELSE last_event_id END, last_seen = "
                    "MAX(last_seen, excluded.last_seen)"));
      for (const DriftField& d : observations) {
        s->Bind(1, d.source).Bind(2, d.field).Bind(3, d.count).Bind(4, d.first_seen);
        s->Bind(5, d.last_seen).Bind(6, d.last_event_id);
        RETURN_IF_ERROR(s->Run());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<DriftField>> ListDrift(std::string_view source) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->r->Prepare("SELECT source, field, count, first_seen, last_seen, "
                                     "last_event_id FROM drift WHERE (? = '' OR source = ?) "
                                     "ORDER BY source, field"));
    s->Bind(1, source).Bind(2, source);
    return Collect<DriftField>(*s, [](const SqliteStmt& r) {
      return DriftField{
          std::string(r.Text(0)), std::string(r.Text(1)), r.Int(2), r.Int(3), r.Int(4),
          std::string(r.Text(5))};
    });
  }

  Status EnqueueDeliveries(std::span<const Delivery> deliveries) override {
    return InWriteTxn(*ev_, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(
          SqliteStmt * ins,
          w.Prepare("INSERT INTO outbox(destination, source, event_id, type, event_offset, "
                    "message_id, payload, state, attempts, next_attempt_at, created_at, "
                    "updated_at, last_status, last_error, event_received_at) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(destination, source, event_id) DO NOTHING"));
      for (const Delivery& d : deliveries) {
        ins->Bind(1, d.destination).Bind(2, d.source).Bind(3, d.event_id).Bind(4, d.type);
        ins->Bind(5, static_cast<int64_t>(d.event_offset)).Bind(6, d.message_id);
        ins->Bind(7, d.payload).Bind(8, d.state).Bind(9, d.attempts).Bind(10, d.next_attempt_at);
        ins->Bind(11, d.created_at).Bind(12, d.updated_at).Bind(13, d.last_status);
        ins->Bind(14, d.last_error).Bind(15, d.event_received_at);
        RETURN_IF_ERROR(ins->Run());
      }
      return Status::Ok();
    });
  }

  Result<std::vector<Delivery>> ListDeliveries(const DeliveryFilter& f) override {
    std::lock_guard lock(ev_->rmu);
    if (f.due_by) {
      ASSIGN_OR_RETURN(SqliteStmt * s,
                       ev_->r->Prepare(std::string("SELECT ") + kDeliveryColumns +
                                       " FROM outbox WHERE state = 'pending' AND destination = ? "
                                       "AND next_attempt_at <= ? AND id > ? ORDER BY "
                                       "next_attempt_at, id LIMIT ?"));
      s->Bind(1, f.destination).Bind(2, *f.due_by).Bind(3, f.after_id);
      s->Bind(4, static_cast<int64_t>(f.max));
      return Collect<Delivery>(*s, DeliveryFromRow);
    }
    ASSIGN_OR_RETURN(
        SqliteStmt * s,
        ev_->r->Prepare(std::string("SELECT ") + kDeliveryColumns +
                        " FROM outbox WHERE (?1 = '' OR destination = ?1) AND (?2 = '' "
                        "OR state = ?2) AND id > ?3 ORDER BY id LIMIT ?4"));
    s->Bind(1, f.destination).Bind(2, f.state).Bind(3, f.after_id);
    s->Bind(4, static_cast<int64_t>(f.max));
    return Collect<Delivery>(*s, DeliveryFromRow);
  }

  Result<DeliveryCounts> CountDeliveries(std::string_view destination) override {
    std::lock_guard lock(ev_->rmu);
    DeliveryCounts c;
    ASSIGN_OR_RETURN(SqliteStmt * p,
                     ev_->r->Prepare("SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM outbox "
                                     "WHERE state = 'pending' AND destination = ?"));
    p->Bind(1, destination);
    ASSIGN_OR_RETURN(bool row, p->Step());
    if (row) c.pending = p->Int(0), c.oldest_pending_at = p->Int(1);
    p->Reset();
    ASSIGN_OR_RETURN(SqliteStmt * d, ev_->r->Prepare("SELECT COUNT(*) FROM outbox WHERE state = "
                                                     "'dead' AND destination = ?"));
    d->Bind(1, destination);
    ASSIGN_OR_RETURN(row, d->Step());
    if (row) c.dead = d->Int(0);
    d->Reset();
    return c;
  }

  Result<std::optional<Delivery>> GetDelivery(int64_t id) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s, ev_->r->Prepare(std::string("SELECT ") + kDeliveryColumns +
                                                     " FROM outbox WHERE id = ?"));
    s->Bind(1, id);
    ASSIGN_OR_RETURN(auto rows, Collect<Delivery>(*s, DeliveryFromRow));
    if (rows.empty()) return std::optional<Delivery>();
    return std::optional<Delivery>(std::move(rows[0]));
  }

  Status UpdateDelivery(const Delivery& d) override {
    std::lock_guard lock(ev_->wmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->w->Prepare("UPDATE outbox SET state = ?, attempts = ?, next_attempt_at "
                                     "= ?, updated_at = ?, last_status = ?, last_error = ? WHERE "
                                     "id = ?"));
    s->Bind(1, d.state).Bind(2, d.attempts).Bind(3, d.next_attempt_at).Bind(4, d.updated_at);
    s->Bind(5, d.last_status).Bind(6, d.last_error).Bind(7, d.id);
    return s->Run();
  }

  Result<std::optional<std::string>> GetState(std::string_view key) override {
    std::lock_guard lock(ev_->rmu);
    ASSIGN_OR_RETURN(SqliteStmt * s, ev_->r->Prepare("SELECT value FROM state WHERE key = ?"));
    s->Bind(1, key);
    ASSIGN_OR_RETURN(bool row, s->Step());
    std::optional<std::string> out;
    if (row) out = std::string(s->Text(0));
    s->Reset();
    return out;
  }

  Status PutState(std::string_view key, std::string_view value) override {
    std::lock_guard lock(ev_->wmu);
    ASSIGN_OR_RETURN(SqliteStmt * s,
                     ev_->w->Prepare("INSERT INTO state(key, value) VALUES(?, ?) ON CONFLICT(key) "
                                     "DO UPDATE SET value = excluded.value"));
    s->Bind(1, key).Bind(2, value);
    return s->Run();
  }

 private:
  // Runs the DELETE `sql` `n` times, bound by `bind(stmt, i)`, in one write transaction; then,
  // when rows went, checkpoints so that their bytes (overwritten by secure_delete) are not
  // left in the WAL either. Returns the rows deleted.
  template <typename Bind>
  static Result<int64_t> Delete(Db& db, const char* sql, size_t n, Bind bind) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(InWriteTxn(db, [&](SqliteDb& w) -> Status {
      ASSIGN_OR_RETURN(SqliteStmt * s, w.Prepare(sql));
      for (size_t i = 0; i < n; ++i) {
        bind(*s, i);
        RETURN_IF_ERROR(s->Run());
        deleted += w.Changes();
      }
      return Status::Ok();
    }));
    if (deleted) RETURN_IF_ERROR(Checkpoint(db));
    return deleted;
  }

  // Opens sealed bodies as they are read.
  Result<std::vector<RawRecord>> Unsealed(Result<std::vector<RawRecord>> rows) const {
    if (!rows.ok()) return rows;
    for (RawRecord& r : *rows) RETURN_IF_ERROR(OpenRawBody(cipher_.get(), &r));
    return rows;
  }

  const std::string dir_;
  std::unique_ptr<Db> raw_;  // raw.db
  std::unique_ptr<Db> ev_;   // events.db
  std::shared_ptr<const PayloadCipher> cipher_;
};

Result<std::unique_ptr<Db>> OpenDb(const std::string& path, const char* schema, int cache_mib) {
  auto db = std::make_unique<Db>();
  ASSIGN_OR_RETURN(db->w, SqliteDb::Open(path, {.cache_mib = cache_mib}));
  RETURN_IF_ERROR(db->w->Exec(schema));
  // Readers scan recent records in order: a small cache is enough.
  ASSIGN_OR_RETURN(db->r, SqliteDb::Open(path, {.read_only = true, .cache_mib = 4}));
  return db;
}

}  // namespace

Result<std::unique_ptr<EventLog>> OpenSqliteEventLog(const std::string& dir,
                                                     const SqliteLogOptions& options) {
  // Raw records are only appended (and their keys looked up in a small index): the writer
  // needs little cache. Events are looked up by key when re-derived and the outbox is
  // updated in place: the default.
  ASSIGN_OR_RETURN(auto raw, OpenDb(dir + "/raw.db", kRawSchema, 8));
  ASSIGN_OR_RETURN(auto events, OpenDb(dir + "/events.db", kEventsSchema, 32));
  {
    ASSIGN_OR_RETURN(SqliteStmt * cols, events->w->Prepare("SELECT COUNT(*) FROM "
                                                           "pragma_table_info('outbox') WHERE "
                                                           "name = 'event_received_at'"));
    ASSIGN_OR_RETURN(bool row, cols->Step());
    const bool has = row && cols->Int(0) > 0;
    cols->Reset();
    if (!has) RETURN_IF_ERROR(events->w->Exec(kOutboxUpgrade));
  }
  return std::unique_ptr<EventLog>(
      new SqliteEventLog(dir, std::move(raw), std::move(events), options.cipher));
}

}  // namespace supportpipe::log
