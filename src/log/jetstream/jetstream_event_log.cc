#include "log/jetstream/jetstream_event_log.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/ascii.h"
#include "common/crypto.h"
#include "common/pg_db.h"
#include "log/jetstream/record_codec.h"
#include "log/raw_seal.h"

namespace supportpipe::log {
namespace {

constexpr int kPartitions = 64;  // event subjects: <name>.events.0 .. 63
constexpr size_t kPoolSize = 8;
constexpr int kParallelAppends = 4;  // group commits in flight at once
constexpr int64_t kRequestWaitMs = 10000;
constexpr int64_t kCreateWaitMs = 1000;  // a reading consumer's creation, per attempt
constexpr int kCreateAttempts = 8;

// PostgreSQL's part: keys that make appends idempotent beyond JetStream's window, cursors,
// dead letters, drift, outbox and connectors' state. In the schema set by search_path.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS raw_keys(
  source      text NOT NULL,
  delivery_id text NOT NULL,
  seq         bigint NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY(source, delivery_id));
CREATE INDEX IF NOT EXISTS raw_keys_by_seq ON raw_keys(seq);
CREATE INDEX IF NOT EXISTS raw_keys_by_source_time ON raw_keys(source, received_at);
CREATE TABLE IF NOT EXISTS event_keys(
  source      text NOT NULL,
  event_id    text NOT NULL,
  seq         bigint NOT NULL,
  raw_offset  bigint NOT NULL,
  occurred_at bigint NOT NULL,
  digest      text NOT NULL,
  PRIMARY KEY(source, event_id));
CREATE INDEX IF NOT EXISTS event_keys_by_time ON event_keys(occurred_at);
CREATE TABLE IF NOT EXISTS cursors(
  consumer text PRIMARY KEY,
  seq      bigint NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters(
  id         bigserial PRIMARY KEY,
  stage      text NOT NULL,
  reason     text NOT NULL,
  field      text NOT NULL,
  source     text NOT NULL,
  raw_offset bigint NOT NULL,
  item       bigint NOT NULL,
  event_id   text NOT NULL,
  created_at bigint NOT NULL,
  state      text NOT NULL,
  attempts   bigint NOT NULL,
  UNIQUE(stage, raw_offset, item));
CREATE INDEX IF NOT EXISTS dead_letters_by_state ON dead_letters(state, id);
CREATE TABLE IF NOT EXISTS drift(
  source        text NOT NULL,
  field         text NOT NULL,
  count         bigint NOT NULL,
  first_seen    bigint NOT NULL,
  last_seen     bigint NOT NULL,
  last_event_id text NOT NULL,
  PRIMARY KEY(source, field));
CREATE TABLE IF NOT EXISTS state(
  key   text PRIMARY KEY,
  value text NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id                bigserial PRIMARY KEY,
  destination       text NOT NULL,
  source            text NOT NULL,
  event_id          text NOT NULL,
  type              text NOT NULL,
  event_offset      bigint NOT NULL,
  message_id        text NOT NULL,
  payload           text NOT NULL,
  state             text NOT NULL,
  attempts          bigint NOT NULL,
  next_attempt_at   bigint NOT NULL,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL,
  last_status       bigint NOT NULL,
  last_error        text NOT NULL,
  event_received_at bigint NOT NULL,
  UNIQUE(destination, source, event_id));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(destination, next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox(destination) WHERE state = 'dead';
)sql";

constexpr const char* kDeadLetterColumns =
    "id, stage, reason, field, source, raw_offset, item, event_id, created_at, state, attempts";
constexpr const char* kDeliveryColumns =
    "id, destination, source, event_id, type, event_offset, message_id, payload, state, "
    "attempts, next_attempt_at, created_at, updated_at, last_status, last_error, "
    "event_received_at";

DeadLetter DeadLetterAt(const PgRows& r, int i) {
  DeadLetter d;
  d.id = r.Int(i, 0);
  d.stage = r.Text(i, 1);
  d.reason = r.Text(i, 2);
  d.field = r.Text(i, 3);
  d.source = r.Text(i, 4);
  d.raw_offset = static_cast<Offset>(r.Int(i, 5));
  d.item = r.Int(i, 6);
  d.event_id = r.Text(i, 7);
  d.created_at = r.Int(i, 8);
  d.state = r.Text(i, 9);
  d.attempts = r.Int(i, 10);
  return d;
}

Delivery DeliveryAt(const PgRows& r, int i) {
  Delivery d;
  d.id = r.Int(i, 0);
  d.destination = r.Text(i, 1);
  d.source = r.Text(i, 2);
  d.event_id = r.Text(i, 3);
  d.type = r.Text(i, 4);
  d.event_offset = static_cast<Offset>(r.Int(i, 5));
  d.message_id = r.Text(i, 6);
  d.payload = r.Text(i, 7);
  d.state = r.Text(i, 8);
  d.attempts = r.Int(i, 9);
  d.next_attempt_at = r.Int(i, 10);
  d.created_at = r.Int(i, 11);
  d.updated_at = r.Int(i, 12);
  d.last_status = r.Int(i, 13);
  d.last_error = r.Text(i, 14);
  d.event_received_at = r.Int(i, 15);
  return d;
}

template <typename T, typename RowFn>
std::vector<T> All(const PgRows& rows, RowFn fn) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(fn(rows, i));
  return out;
}

// A PostgreSQL array literal ('{"a","b"}') of texts, for `= ANY($1::text[])` and unnest.
template <typename Range, typename Fn>
std::string PgArray(const Range& items, Fn text_of) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : std::string_view(text_of(item))) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// A PostgreSQL array literal of integers ('{1,2}').
template <typename Int>
std::string IntArray(std::span<const Int> v) {
  std::string out = "{";
  for (Int x : v) fmt::format_to(std::back_inserter(out), "{}{}", out.size() > 1 ? "," : "", x);
  return out + "}";
}
template <typename Int>
std::string IntArray(const std::vector<Int>& v) {
  return IntArray(std::span<const Int>(v));
}

// A NATS failure as a Status: lost servers and time-outs are Unavailable (worth retrying).
Status NatsError(std::string_view what, natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string detail = nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : "";
  if (detail.empty()) detail = natsStatus_GetText(s);
  std::string msg = fmt::format("NATS JetStream: {}: {}", what, detail);
  if (code != 0) msg += fmt::format(" (JetStream error {})", static_cast<int>(code));
  switch (s) {
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
      return PermissionDenied(std::move(msg) +
                              ": check [storage] log_token_env / log_credentials_file");
    case NATS_SSL_ERROR:
      return Unavailable(std::move(msg) +
                         ": check [storage] log_tls_ca_file and the servers' certificates");
    case NATS_TIMEOUT:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_NO_RESPONDERS:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
      return Unavailable(std::move(msg) + ": check that the NATS servers in [storage] log run");
    default:
      return Internal(std::move(msg));
  }
}

// The Nats-Msg-Id of a record: a digest, so any key is a valid header value.
std::string MsgId(std::string_view kind, std::string_view a, std::string_view b,
                  std::string_view c = {}) {
  std::string key;
  key.reserve(a.size() + b.size() + c.size() + 3);
  key.append(a).push_back('\0');
  key.append(b).push_back('\0');
  key.append(c);
  return std::string(kind) + HexEncode(Sha256(key)).substr(0, 40);
}

// Asynchronous publishes, one batch at a time: each record's acknowledged sequence (and
// whether JetStream found its Msg-Id already stored), or the first error. Kept between
// batches (PublisherPool), so its context and reply subscription are made once.
class Publisher {
 public:
  explicit Publisher(natsConnection* nc) {
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = kRequestWaitMs;
    o.PublishAsync.AckHandler = &Publisher::OnAck;
    o.PublishAsync.AckHandlerClosure = this;
    o.PublishAsync.MaxPending = 4096;
    status_ = natsConnection_JetStream(&js_, nc, &o);
  }
  ~Publisher() {
    if (!js_) return;
    // Messages still unacknowledged (Wait gave up) come back to us to free. (Asking when
    // nothing was published crashes nats.c 3.4.)
    natsMsgList pending = {};
    if (added_ && !complete_ && js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
      natsMsgList_Destroy(&pending);
    }
    jsCtx_Destroy(js_);
  }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Ready for the next batch. Only after a Wait that returned OK: nothing is in flight.
  void Reset() {
    std::lock_guard lock(mu_);
    by_id_.clear();
    seqs_.clear();
    duplicates_.clear();
    error_ = Status::Ok();
    added_ = complete_ = false;
  }
  // Whether the last batch ended with every acknowledgment in.
  bool reusable() const { return status_ == NATS_OK && (!added_ || complete_); }

  // Queues `data` on `subject` with `msg_id`; its sequence will be seq(index).
  Status Add(size_t index, const std::string& subject, const std::string& msg_id,
             std::string_view data) {
    if (status_ != NATS_OK) return NatsError("cannot open a JetStream context", status_);
    {
      std::lock_guard lock(mu_);
      by_id_[msg_id] = index;
      if (seqs_.size() <= index) {
        seqs_.resize(index + 1, 0);
        duplicates_.resize(index + 1, false);
      }
    }
    natsMsg* msg = nullptr;
    natsStatus s =
        natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(js_, &msg, nullptr);
    natsMsg_Destroy(msg);  // no-op when the library took it
    if (s != NATS_OK) return NatsError("publish to " + subject, s);
    added_ = true;
    return Status::Ok();
  }

  // Waits for every acknowledgment; OK only when every record was stored.
  Status Wait() {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = kRequestWaitMs;
    natsStatus s = js_PublishAsyncComplete(js_, &po);
    complete_ = s == NATS_OK;
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    if (s != NATS_OK) return NatsError("waiting for JetStream to acknowledge appends", s);
    return Status::Ok();
  }

  uint64_t seq(size_t index) const { return seqs_[index]; }
  // JetStream had the Msg-Id already (a retried publish inside its window): seq is the original.
  bool duplicate(size_t index) const { return duplicates_[index]; }

 private:
  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<Publisher*>(closure);
    const char* id = nullptr;
    natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
    std::lock_guard lock(self->mu_);
    auto it = id ? self->by_id_.find(id) : self->by_id_.end();
    if (pa && it != self->by_id_.end()) {
      self->seqs_[it->second] = pa->Sequence;
      self->duplicates_[it->second] = pa->Duplicate;
    } else if (pae && self->error_.ok()) {
      self->error_ =
          NatsError(pae->ErrText ? pae->ErrText : "publish refused", pae->Err, pae->ErrCode);
    }
    natsMsg_Destroy(msg);
  }

  jsCtx* js_ = nullptr;
  natsStatus status_ = NATS_OK;
  bool added_ = false;     // something was published
  bool complete_ = false;  // and every acknowledgment came
  std::mutex mu_;
  std::unordered_map<std::string, size_t> by_id_;
  std::vector<uint64_t> seqs_;
  std::vector<bool> duplicates_;
  Status error_;
};

// Publishers lent to one append at a time.
class PublisherPool {
 public:
  explicit PublisherPool(natsConnection* nc) : nc_(nc) {}

  void Clear() {
    std::lock_guard lock(mu_);
    free_.clear();
  }

  template <typename Fn>
  Status Run(Fn fn) {
    std::unique_ptr<Publisher> pub;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        pub = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!pub) pub = std::make_unique<Publisher>(nc_);
    Status s = fn(*pub);
    if (pub->reusable()) {
      pub->Reset();
      std::lock_guard lock(mu_);
      free_.push_back(std::move(pub));
    }
    return s;
  }

 private:
  natsConnection* nc_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Publisher>> free_;
};

class JetStreamEventLog final : public EventLog {
 public:
  JetStreamEventLog(natsConnection* nc, jsCtx* js, std::unique_ptr<PgPool> pg,
                    const JetStreamLogOptions& o)
      : nc_(nc),
        js_(js),
        pubs_(nc),
        pg_(std::move(pg)),
        state_url_(o.state_url),
        prefix_(AsciiLower(o.name)),
        raw_subject_(prefix_ + ".raw"),
        appended_raw_(prefix_ + ".appended.raw"),
        appended_events_(prefix_ + ".appended.events"),
        raw_stream_(AsciiUpper(o.name) + "_RAW"),
        events_stream_(AsciiUpper(o.name) + "_EVENTS"),
        cipher_(o.cipher) {}

  ~JetStreamEventLog() override {
    pubs_.Clear();
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  // Core NATS subjects beside the streams: every process that appended to a stream says so
  // on <name>.appended.<stream> (no payload), and stages elsewhere wake up.
  std::unique_ptr<Subscription> Watch(std::string_view stream, std::function<void()> fn) override {
    if (stream != "raw" && stream != "events") return nullptr;
    struct NatsWatch : Subscription {
      natsSubscription* sub = nullptr;
      std::function<void()> fn;
      ~NatsWatch() override {
        // Drain: callbacks already queued run before this object goes.
        if (natsSubscription_Drain(sub) == NATS_OK) {
          natsSubscription_WaitForDrainCompletion(sub, 5000);
        }
        natsSubscription_Destroy(sub);
      }
      static void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
        natsMsg_Destroy(msg);
        static_cast<NatsWatch*>(closure)->fn();
      }
    };
    auto w = std::make_unique<NatsWatch>();
    w->fn = std::move(fn);
    const std::string& subject = stream == "raw" ? appended_raw_ : appended_events_;
    if (natsConnection_Subscribe(&w->sub, nc_, subject.c_str(), &NatsWatch::OnMsg, w.get()) !=
        NATS_OK) {
      return nullptr;  // the worker still polls
    }
    return w;
  }

  // Each append mostly waits for JetStream's acknowledgements and PostgreSQL's commit.
  int parallel_appends() const override { return kParallelAppends; }

  // A PostgreSQL advisory lock, held by a connection of its own for the lease's life: when
  // the process dies, its connection closes and the lock goes with it.
  Result<std::unique_ptr<Lease>> TryLock(std::string_view name) override {
    struct PgLease : Lease {
      std::unique_ptr<PgDb> db;
    };
    ASSIGN_OR_RETURN(auto db, PgDb::Open(state_url_));
    ASSIGN_OR_RETURN(PgRows r, db->Exec("SELECT pg_try_advisory_lock(hashtext($1))",
                                        {Pg(prefix_ + ":lock:" + std::string(name))}));
    if (r.Text(0, 0) != "t") return std::unique_ptr<Lease>();
    auto lease = std::make_unique<PgLease>();
    lease->db = std::move(db);
    return std::unique_ptr<Lease>(std::move(lease));
  }

  // Publishes first and records the keys after, in one statement: a new record costs one
  // PostgreSQL round trip. A repeat inside JetStream's window is answered by JetStream (the
  // original's sequence). A repeat from after the window is found when its key is recorded:
  // the copy just published is deleted and the original's offset returned.
  Status AppendRaw(std::span<const RawRecord> records,
                   std::vector<AppendResult>* results) override {
    results->assign(records.size(), {});
    if (records.empty()) return Status::Ok();
    std::unordered_map<std::string, size_t> first;  // source \0 delivery_id -> index
    std::vector<size_t> published, repeats;
    for (size_t i = 0; i < records.size(); ++i) {
      if (first.emplace(records[i].source + '\0' + records[i].delivery_id, i).second) {
        published.push_back(i);
      } else {
        repeats.push_back(i);
      }
    }
    return pubs_.Run([&](Publisher& pub) -> Status {
      for (size_t i : published) {
        const RawRecord& r = records[i];
        std::string body = cipher_ ? cipher_->Seal(r.body, RawSealContext(r)) : r.body;
        RETURN_IF_ERROR(
            pub.Add(i, raw_subject_, MsgId("r", r.source, r.delivery_id), EncodeRaw(r, body)));
      }
      RETURN_IF_ERROR(pub.Wait());
      std::vector<const RawRecord*> rows;
      std::vector<Offset> seqs;
      std::vector<int64_t> times;
      for (size_t i : published) {
        rows.push_back(&records[i]);
        seqs.push_back(pub.seq(i));
        times.push_back(records[i].received_at);
      }
      auto source = [](const RawRecord* r) -> const std::string& { return r->source; };
      auto delivery = [](const RawRecord* r) -> const std::string& { return r->delivery_id; };
      // Keys already recorded come back with their offset (`fresh` false).
      ASSIGN_OR_RETURN(PgRows keyed, pg_->Run([&](PgDb& db) {
        return db.Exec(
            "WITH b AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], "
            "$4::bigint[]) AS b(source, delivery_id, seq, received_at)), "
            "ins AS (INSERT INTO raw_keys(source, delivery_id, seq, received_at) "
            "SELECT * FROM b ON CONFLICT (source, delivery_id) DO NOTHING RETURNING seq) "
            "SELECT b.seq, COALESCE((SELECT k.seq FROM raw_keys k WHERE k.source = b.source AND "
            "k.delivery_id = b.delivery_id), b.seq), ins.seq IS NOT NULL FROM b "
            "LEFT JOIN ins ON ins.seq = b.seq",
            {PgArray(rows, source), PgArray(rows, delivery), IntArray(seqs), IntArray(times)});
      }));
      std::unordered_map<Offset, std::pair<Offset, bool>> outcome;  // seq -> (offset, fresh)
      for (int r = 0; r < keyed.size(); ++r) {
        outcome[static_cast<Offset>(keyed.Int(r, 0))] = {static_cast<Offset>(keyed.Int(r, 1)),
                                                         keyed.Text(r, 2) == "t"};
      }
      for (size_t i : published) {
        const auto [offset, fresh] = outcome.at(pub.seq(i));
        if (fresh && !pub.duplicate(i)) {
          (*results)[i] = {AppendOutcome::kAppended, offset};
          continue;
        }
        (*results)[i] = {AppendOutcome::kDuplicate, offset};
        if (offset != pub.seq(i)) RETURN_IF_ERROR(DeleteMessage(raw_stream_, pub.seq(i), false));
      }
      for (size_t i : repeats) {
        const size_t f = first.at(records[i].source + '\0' + records[i].delivery_id);
        (*results)[i] = {AppendOutcome::kDuplicate, (*results)[f].offset};
      }
      // Wake workers in other processes; a lost note only delays them to their next poll.
      natsConnection_PublishString(nc_, appended_raw_.c_str(), "");
      return Status::Ok();
    });
  }

  Result<std::vector<RawRecord>> ReadRaw(Offset after, size_t max) override {
    std::vector<RawRecord> out;
    RETURN_IF_ERROR(Scan(raw_stream_, raw_subject_, after, max, [&](natsMsg* m, uint64_t seq) {
      RawRecord r;
      RETURN_IF_ERROR(DecodeRawMessage(m, seq, &r));
      out.push_back(std::move(r));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::optional<RawRecord>> GetRaw(Offset offset) override {
    std::optional<RawRecord> out;
    RETURN_IF_ERROR(Get(raw_stream_, offset, [&](natsMsg* m) {
      RawRecord r;
      RETURN_IF_ERROR(DecodeRawMessage(m, offset, &r));
      out = std::move(r);
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<RawRecord>> FindRaw(std::string_view source, TimeMicros from, TimeMicros to,
                                         Offset after, size_t max) override {
    ASSIGN_OR_RETURN(PgRows rows, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "SELECT seq FROM raw_keys WHERE source = $1 AND received_at >= $2 AND received_at < $3 "
          "AND seq > $4 ORDER BY seq LIMIT $5",
          {Pg(source), Pg(from), Pg(to), Pg(after), Pg(static_cast<int64_t>(max))});
    }));
    std::vector<RawRecord> out;
    for (int i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(std::optional<RawRecord> r, GetRaw(static_cast<Offset>(rows.Int(i, 0))));
      if (r) out.push_back(std::move(*r));
    }
    return out;
  }

  Status AppendEvents(std::span<const EventRecord> records,
                      std::vector<AppendResult>* results) override {
    results->assign(records.size(), {});
    if (records.empty()) return Status::Ok();
    struct Known {
      Offset seq = 0;    // 0 while only published in this batch
      size_t index = 0;  // the batch entry it came from, when seq is 0
      Offset raw_offset = 0;
      std::string digest;
    };
    std::unordered_map<std::string, Known> known;  // source \0 event_id
    ASSIGN_OR_RETURN(PgRows rows, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "SELECT k.source, k.event_id, k.seq, k.raw_offset, k.digest FROM unnest($1::text[], "
          "$2::text[]) AS b(source, event_id) CROSS JOIN LATERAL (SELECT * FROM event_keys e "
          "WHERE e.source = b.source AND e.event_id = b.event_id) k",
          {PgArray(records, [](const EventRecord& e) -> const std::string& { return e.source; }),
           PgArray(records,
                   [](const EventRecord& e) -> const std::string& { return e.event_id; })});
    }));
    for (int i = 0; i < rows.size(); ++i) {
      known[std::string(rows.Text(i, 0)) + '\0' + std::string(rows.Text(i, 1))] = {
          static_cast<Offset>(rows.Int(i, 2)), 0, static_cast<Offset>(rows.Int(i, 3)),
          std::string(rows.Text(i, 4))};
    }
    // Decide each record in order, as if appended one by one.
    enum class Action { kDuplicateOf, kPublish };
    struct Plan {
      Action action = Action::kPublish;
      Known of;                  // kDuplicateOf: the record it repeats
      std::optional<Known> old;  // kPublish over an earlier version: the one it replaces
      std::string digest;
    };
    std::vector<Plan> plans(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      const EventRecord& e = records[i];
      Plan& p = plans[i];
      p.digest = HexEncode(Sha256(e.payload));
      std::string key = e.source + '\0' + e.event_id;
      auto it = known.find(key);
      if (it != known.end()) {
        const bool rederived = e.raw_offset != 0 && it->second.raw_offset == e.raw_offset &&
                               it->second.digest != p.digest;
        if (!rederived) {
          p.action = Action::kDuplicateOf;
          p.of = it->second;
          continue;
        }
        p.old = it->second;
      }
      known[key] = {0, i, e.raw_offset, p.digest};
    }
    return pubs_.Run([&](Publisher& pub) -> Status {
      bool any = false;
      for (size_t i = 0; i < records.size(); ++i) {
        if (plans[i].action != Action::kPublish) continue;
        const EventRecord& e = records[i];
        RETURN_IF_ERROR(pub.Add(i, EventSubject(e),
                                MsgId("e", e.source, e.event_id, plans[i].digest), EncodeEvent(e)));
        any = true;
      }
      if (any) RETURN_IF_ERROR(pub.Wait());
      auto seq_of = [&](const Known& k) { return k.seq ? k.seq : pub.seq(k.index); };
      std::vector<Offset> superseded;
      std::vector<const EventRecord*> keyed;
      std::vector<Offset> seqs, raw_offsets;
      std::vector<int64_t> times;
      std::vector<std::string> digests;
      for (size_t i = 0; i < records.size(); ++i) {
        const Plan& p = plans[i];
        if (p.action == Action::kDuplicateOf) {
          (*results)[i] = {AppendOutcome::kDuplicate, seq_of(p.of)};
          continue;
        }
        const Offset seq = pub.seq(i);
        (*results)[i] = {p.old ? AppendOutcome::kReplaced : AppendOutcome::kAppended, seq};
        if (p.old) superseded.push_back(seq_of(*p.old));
        keyed.push_back(&records[i]);
        seqs.push_back(seq);
        raw_offsets.push_back(records[i].raw_offset);
        times.push_back(records[i].occurred_at);
        digests.push_back(p.digest);
      }
      if (keyed.empty()) return Status::Ok();
      // Later versions of one key in this batch come later: the last row per key wins.
      RETURN_IF_ERROR(pg_->Run([&](PgDb& db) -> Status {
        return db
            .Exec(
                "INSERT INTO event_keys(source, event_id, seq, raw_offset, occurred_at, digest) "
                "SELECT DISTINCT ON (source, event_id) source, event_id, seq, raw_offset, "
                "occurred_at, digest FROM unnest($1::text[], $2::text[], $3::bigint[], "
                "$4::bigint[], $5::bigint[], $6::text[]) AS b(source, event_id, seq, raw_offset, "
                "occurred_at, digest) ORDER BY source, event_id, seq DESC "
                "ON CONFLICT (source, event_id) DO UPDATE SET seq = excluded.seq, "
                "raw_offset = excluded.raw_offset, occurred_at = excluded.occurred_at, "
                "digest = excluded.digest",
                {PgArray(keyed,
                         [](const EventRecord* e) -> const std::string& { return e->source; }),
                 PgArray(keyed,
                         [](const EventRecord* e) -> const std::string& { return e->event_id; }),
                 IntArray(seqs), IntArray(raw_offsets), IntArray(times),
                 PgArray(digests, [](const std::string& d) -> const std::string& { return d; })})
            .status();
      }));
      // Replaced versions leave the stream, so readers meet each event once.
      for (Offset old : superseded) RETURN_IF_ERROR(DeleteMessage(events_stream_, old, false));
      natsConnection_PublishString(nc_, appended_events_.c_str(), "");  // as for raw appends
      return Status::Ok();
    });
  }

  Result<std::vector<EventRecord>> ReadEvents(Offset after, size_t max) override {
    std::vector<EventRecord> out;
    RETURN_IF_ERROR(
        Scan(events_stream_, prefix_ + ".events.>", after, max, [&](natsMsg* m, uint64_t seq) {
          EventRecord e;
          RETURN_IF_ERROR(DecodeEventMessage(m, seq, &e));
          out.push_back(std::move(e));
          return Status::Ok();
        }));
    return out;
  }

  Result<Offset> LastOffset(std::string_view stream) override {
    if (stream != "raw" && stream != "events") return InvalidArgument("unknown stream");
    const std::string& name = stream == "raw" ? raw_stream_ : events_stream_;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js_, name.c_str(), nullptr, &jerr);
    if (s != NATS_OK) return NatsError("stream info of " + name, s, jerr);
    const uint64_t msgs = si->State.Msgs, first = si->State.FirstSeq;
    Offset last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    if (msgs == 0) return Offset{0};
    // The stream's last sequence may be a deleted record (a late repeat's copy, an erasure):
    // step back to the last one still there, so consumers do not look lagged forever.
    for (; last > first; --last) {
      bool present = false;
      RETURN_IF_ERROR(Get(name, last, [&](natsMsg*) {
        present = true;
        return Status::Ok();
      }));
      if (present) break;
    }
    return last;
  }

  Result<Offset> GetCursor(std::string_view consumer) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("SELECT seq FROM cursors WHERE consumer = $1", {Pg(consumer)});
    }));
    return static_cast<Offset>(r.size() ? r.Int(0, 0) : 0);
  }

  Status CommitCursor(std::string_view consumer, Offset offset, bool allow_rewind) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db
          .Exec(allow_rewind ? "INSERT INTO cursors(consumer, seq) VALUES($1, $2) ON CONFLICT "
                               "(consumer) DO UPDATE SET seq = excluded.seq"
                             : "INSERT INTO cursors(consumer, seq) VALUES($1, $2) ON CONFLICT "
                               "(consumer) DO UPDATE SET seq = GREATEST(cursors.seq, excluded.seq)",
                {Pg(consumer), Pg(offset)})
          .status();
    });
  }

  Status AddDeadLetters(std::span<const DeadLetter> letters) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db.InTransaction([&]() -> Status {
        for (const DeadLetter& d : letters) {
          RETURN_IF_ERROR(
              db.Exec("INSERT INTO dead_letters(stage, reason, field, source, raw_offset, item, "
                      "event_id, created_at, state, attempts) VALUES($1,$2,$3,$4,$5,$6,$7,$8,"
                      "'open',1) ON CONFLICT (stage, raw_offset, item) DO UPDATE SET reason = "
                      "excluded.reason, field = excluded.field, state = 'open', attempts = "
                      "dead_letters.attempts + 1",
                      {Pg(d.stage), Pg(d.reason), Pg(d.field), Pg(d.source), Pg(d.raw_offset),
                       Pg(d.item), Pg(d.event_id), Pg(d.created_at)})
                  .status());
        }
        return Status::Ok();
      });
    });
  }

  Result<std::vector<DeadLetter>> ListDeadLetters(std::string_view state, int64_t after_id,
                                                  size_t max) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(std::string("SELECT ") + kDeadLetterColumns +
                         " FROM dead_letters WHERE ($1 = '' OR state = $1) AND id > $2 "
                         "ORDER BY id LIMIT $3",
                     {Pg(state), Pg(after_id), Pg(static_cast<int64_t>(max))});
    }));
    return All<DeadLetter>(r, DeadLetterAt);
  }

  Result<std::optional<DeadLetter>> GetDeadLetter(int64_t id) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(
          std::string("SELECT ") + kDeadLetterColumns + " FROM dead_letters WHERE id = $1",
          {Pg(id)});
    }));
    if (!r.size()) return std::optional<DeadLetter>();
    return std::optional<DeadLetter>(DeadLetterAt(r, 0));
  }

  Status SetDeadLetterState(int64_t id, std::string_view state) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("UPDATE dead_letters SET state = $1 WHERE id = $2", {Pg(state), Pg(id)});
    }));
    if (r.Affected() == 0) return NotFound("no dead letter with id " + std::to_string(id));
    return Status::Ok();
  }

  Result<int64_t> CountDeadLetters(std::string_view state) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("SELECT COUNT(*) FROM dead_letters WHERE ($1 = '' OR state = $1)",
                     {Pg(state)});
    }));
    return r.Int(0, 0);
  }

  Status RecordDrift(std::span<const DriftField> observations) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db.InTransaction([&]() -> Status {
        for (const DriftField& d : observations) {
          RETURN_IF_ERROR(
              db.Exec("INSERT INTO drift(source, field, count, first_seen, last_seen, "
                      "last_event_id) VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT (source, field) DO "
                      "UPDATE SET count = drift.count + excluded.count, first_seen = "
                      "LEAST(drift.first_seen, excluded.first_seen), last_event_id = CASE WHEN "
                      "excluded.last_seen >= drift.last_seen THEN excluded.last_event_id ELSE "
                      "drift.last_event_id END, last_seen = GREATEST(drift.last_seen, "
                      "excluded.last_seen)",
                      {Pg(d.source), Pg(d.field), Pg(d.count), Pg(d.first_seen), Pg(d.last_seen),
                       Pg(d.last_event_id)})
                  .status());
        }
        return Status::Ok();
      });
    });
  }

  Result<std::vector<DriftField>> ListDrift(std::string_view source) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "SELECT source, field, count, first_seen, last_seen, last_event_id FROM drift WHERE "
          "($1 = '' OR source = $1) ORDER BY source, field",
          {Pg(source)});
    }));
    return All<DriftField>(r, [](const PgRows& r, int i) {
      return DriftField{std::string(r.Text(i, 0)),
                        std::string(r.Text(i, 1)),
                        r.Int(i, 2),
                        r.Int(i, 3),
                        r.Int(i, 4),
                        std::string(r.Text(i, 5))};
    });
  }

  Status EnqueueDeliveries(std::span<const Delivery> deliveries) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db.InTransaction([&]() -> Status {
        for (const Delivery& d : deliveries) {
          RETURN_IF_ERROR(
              db.Exec("INSERT INTO outbox(destination, source, event_id, type, event_offset, "
                      "message_id, payload, state, attempts, next_attempt_at, created_at, "
                      "updated_at, last_status, last_error, event_received_at) VALUES($1,$2,$3,"
                      "$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT (destination, "
                      "source, event_id) DO NOTHING",
                      {Pg(d.destination), Pg(d.source), Pg(d.event_id), Pg(d.type),
                       Pg(d.event_offset), Pg(d.message_id), Pg(d.payload), Pg(d.state),
                       Pg(d.attempts), Pg(d.next_attempt_at), Pg(d.created_at), Pg(d.updated_at),
                       Pg(d.last_status), Pg(d.last_error), Pg(d.event_received_at)})
                  .status());
        }
        return Status::Ok();
      });
    });
  }

  Result<std::vector<Delivery>> ListDeliveries(const DeliveryFilter& f) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      if (f.due_by) {
        return db.Exec(
            std::string("SELECT ") + kDeliveryColumns +
                " FROM outbox WHERE state = 'pending' AND destination = $1 AND "
                "next_attempt_at <= $2 AND id > $3 ORDER BY next_attempt_at, id "
                "LIMIT $4",
            {Pg(f.destination), Pg(*f.due_by), Pg(f.after_id), Pg(static_cast<int64_t>(f.max))});
      }
      return db.Exec(
          std::string("SELECT ") + kDeliveryColumns +
              " FROM outbox WHERE ($1 = '' OR destination = $1) AND ($2 = '' OR "
              "state = $2) AND id > $3 ORDER BY id LIMIT $4",
          {Pg(f.destination), Pg(f.state), Pg(f.after_id), Pg(static_cast<int64_t>(f.max))});
    }));
    return All<Delivery>(r, DeliveryAt);
  }

  Result<std::optional<Delivery>> GetDelivery(int64_t id) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(std::string("SELECT ") + kDeliveryColumns + " FROM outbox WHERE id = $1",
                     {Pg(id)});
    }));
    if (!r.size()) return std::optional<Delivery>();
    return std::optional<Delivery>(DeliveryAt(r, 0));
  }

  Result<DeliveryCounts> CountDeliveries(std::string_view destination) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec(
          "SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = "
          "'dead'), COALESCE(MIN(created_at) FILTER (WHERE state = 'pending'), 0) FROM outbox "
          "WHERE destination = $1 AND state IN ('pending', 'dead')",
          {Pg(destination)});
    }));
    DeliveryCounts c;
    c.pending = r.Int(0, 0);
    c.dead = r.Int(0, 1);
    c.oldest_pending_at = r.Int(0, 2);
    return c;
  }

  Status UpdateDelivery(const Delivery& d) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db
          .Exec(
              "UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, updated_at = "
              "$4, last_status = $5, last_error = $6 WHERE id = $7",
              {Pg(d.state), Pg(d.attempts), Pg(d.next_attempt_at), Pg(d.updated_at),
               Pg(d.last_status), Pg(d.last_error), Pg(d.id)})
          .status();
    });
  }

  Result<int64_t> PurgeRaw(TimeMicros before, Offset through) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("SELECT seq FROM raw_keys WHERE received_at < $1 AND seq <= $2",
                     {Pg(before), Pg(through)});
    }));
    std::vector<Offset> seqs;
    for (int i = 0; i < r.size(); ++i) seqs.push_back(static_cast<Offset>(r.Int(i, 0)));
    ASSIGN_OR_RETURN(auto counts, DeleteRaw(seqs));
    return counts.first;
  }

  Result<int64_t> PurgeDeadLetters(TimeMicros before) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("DELETE FROM dead_letters WHERE created_at < $1", {Pg(before)});
    }));
    return r.Affected();
  }

  Result<int64_t> RewriteEvents(
      TimeMicros before, std::string_view needle,
      const std::function<std::optional<std::string>(const EventRecord&)>& rewrite) override {
    // JetStream cannot change a stored message: a rewritten event is appended again (so it
    // moves to a new offset, as a re-derived event does) and the old message is erased.
    int64_t n = 0;
    Offset after = 0;
    for (;;) {
      ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
        return db.Exec(
            "SELECT seq FROM event_keys WHERE occurred_at < $1 AND seq > $2 ORDER BY seq LIMIT 500",
            {Pg(before), Pg(after)});
      }));
      if (!r.size()) break;
      for (int i = 0; i < r.size(); ++i) {
        const Offset seq = static_cast<Offset>(r.Int(i, 0));
        after = seq;
        std::optional<EventRecord> found;
        RETURN_IF_ERROR(Get(events_stream_, seq, [&](natsMsg* m) {
          EventRecord e;
          RETURN_IF_ERROR(DecodeEventMessage(m, seq, &e));
          found = std::move(e);
          return Status::Ok();
        }));
        if (!found || found->payload.find(needle) == std::string::npos) continue;
        std::optional<std::string> payload = rewrite(*found);
        if (!payload || *payload == found->payload) continue;
        EventRecord e = std::move(*found);
        e.payload = std::move(*payload);
        const std::string digest = HexEncode(Sha256(e.payload));
        RETURN_IF_ERROR(pubs_.Run([&](Publisher& pub) -> Status {
          RETURN_IF_ERROR(pub.Add(0, EventSubject(e), MsgId("e", e.source, e.event_id, digest),
                                  EncodeEvent(e)));
          RETURN_IF_ERROR(pub.Wait());
          return pg_->Run([&](PgDb& db) -> Status {
            return db
                .Exec(
                    "UPDATE event_keys SET seq = $1, digest = $2 WHERE source = $3 AND "
                    "event_id = $4",
                    {Pg(pub.seq(0)), Pg(digest), Pg(e.source), Pg(e.event_id)})
                .status();
          });
        }));
        RETURN_IF_ERROR(DeleteMessage(events_stream_, seq, true));
        ++n;
      }
    }
    return n;
  }

  Result<std::pair<int64_t, int64_t>> DeleteRaw(std::span<const Offset> offsets) override {
    // Messages first: a crash before the keys go leaves keys whose messages are gone, which
    // the next purge or erasure finds again; never bytes that nothing points at.
    int64_t raw = 0;
    for (Offset o : offsets) {
      ASSIGN_OR_RETURN(bool erased, EraseIfPresent(raw_stream_, o));
      raw += erased;
    }
    ASSIGN_OR_RETURN(PgRows letters, pg_->Run([&](PgDb& db) -> Result<PgRows> {
      const std::string list = IntArray(offsets);
      RETURN_IF_ERROR(
          db.Exec("DELETE FROM raw_keys WHERE seq = ANY($1::bigint[])", {list}).status());
      return db.Exec("DELETE FROM dead_letters WHERE raw_offset = ANY($1::bigint[])", {list});
    }));
    return std::make_pair(raw, letters.Affected());
  }

  Result<int64_t> DeleteDeliveries(std::span<const int64_t> ids) override {
    std::vector<Offset> list(ids.begin(), ids.end());
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("DELETE FROM outbox WHERE id = ANY($1::bigint[])", {IntArray(list)});
    }));
    return r.Affected();
  }

  Result<std::optional<std::string>> GetState(std::string_view key) override {
    ASSIGN_OR_RETURN(PgRows r, pg_->Run([&](PgDb& db) {
      return db.Exec("SELECT value FROM state WHERE key = $1", {Pg(key)});
    }));
    if (!r.size()) return std::optional<std::string>();
    return std::optional<std::string>(std::string(r.Text(0, 0)));
  }

  Status PutState(std::string_view key, std::string_view value) override {
    return pg_->Run([&](PgDb& db) -> Status {
      return db
          .Exec(
              "INSERT INTO state(key, value) VALUES($1, $2) ON CONFLICT (key) DO UPDATE SET "
              "value = excluded.value",
              {Pg(key), Pg(value)})
          .status();
    });
  }

 private:
  std::string EventSubject(const EventRecord& e) const {
    // One ticket's events share a partition (and so keep their order for one consumer of it).
    const std::string h = Sha256(e.source + '\0' + e.ticket_id);
    const unsigned p = static_cast<unsigned char>(h[0]) % kPartitions;
    return fmt::format("{}.events.{}", prefix_, p);
  }

  Status DecodeRawMessage(natsMsg* m, uint64_t seq, RawRecord* r) const {
    std::string_view data(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    if (!DecodeRaw(data, r)) {
      return DataLoss(fmt::format("raw record {} in stream {} is not in supportpipe's format", seq,
                                  raw_stream_));
    }
    r->offset = seq;
    return OpenRawBody(cipher_.get(), r);
  }

  Status DecodeEventMessage(natsMsg* m, uint64_t seq, EventRecord* e) const {
    std::string_view data(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    if (!DecodeEvent(data, e)) {
      return DataLoss(
          fmt::format("event {} in stream {} is not in supportpipe's format", seq, events_stream_));
    }
    e->offset = seq;
    return Status::Ok();
  }

  // Offers the messages of `stream` after `after` (up to `max`, in order) to `fn(msg, seq)`,
  // through a short-lived consumer that starts there.
  template <typename Fn>
  Status Scan(const std::string& stream, const std::string& subject, Offset after, size_t max,
              Fn fn) {
    if (max == 0) return Status::Ok();
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = after + 1;
    so.Config.AckPolicy = js_AckNone;
    // The short-lived consumer lands on one of the stream's servers. While one of them is
    // down, a creation placed there gets no answer: ask again soon rather than wait long.
    jsOptions quick;
    jsOptions_Init(&quick);
    quick.Wait = kCreateWaitMs;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = NATS_TIMEOUT;
    for (int attempt = 0; attempt < kCreateAttempts && s == NATS_TIMEOUT; ++attempt) {
      s = js_PullSubscribe(&sub, js_, subject.c_str(), nullptr, &quick, &so, &jerr);
    }
    if (s != NATS_OK) return NatsError("read from " + stream, s, jerr);
    Status out;
    size_t got = 0;
    while (got < max && out.ok()) {
      jsFetchRequest req;
      jsFetchRequest_Init(&req);
      req.Batch = static_cast<int>(std::min<size_t>(max - got, 512));
      req.NoWait = true;
      req.Expires = kRequestWaitMs * 1000 * 1000;
      natsMsgList list = {};
      s = natsSubscription_FetchRequest(&list, sub, &req);
      if (s == NATS_NOT_FOUND || (s == NATS_TIMEOUT && list.Count == 0)) break;
      if (s != NATS_OK && list.Count == 0) {
        out = NatsError("read from " + stream, s);
        break;
      }
      for (int i = 0; i < list.Count && out.ok(); ++i) {
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, list.Msgs[i]) != NATS_OK) {
          out = Internal("NATS JetStream: a message without its metadata from " + stream);
          break;
        }
        const uint64_t seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        out = fn(list.Msgs[i], seq);
        ++got;
      }
      const int count = list.Count;
      natsMsgList_Destroy(&list);
      if (count < req.Batch) break;
    }
    natsSubscription_Unsubscribe(sub);  // deletes the consumer
    natsSubscription_Destroy(sub);
    return out;
  }

  // Offers message `seq` of `stream` to `fn(msg)`; nothing when it is not there.
  template <typename Fn>
  Status Get(const std::string& stream, Offset seq, Fn fn) {
    natsMsg* m = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetMsg(&m, js_, stream.c_str(), seq, nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return Status::Ok();
    if (s != NATS_OK) return NatsError(fmt::format("get message {} of {}", seq, stream), s, jerr);
    Status out = fn(m);
    natsMsg_Destroy(m);
    return out;
  }

  // Removes message `seq`; `erase` overwrites its bytes. Missing messages are no error.
  Status DeleteMessage(const std::string& stream, Offset seq, bool erase) {
    return EraseIfPresent(stream, seq, erase).status();
  }

  Result<bool> EraseIfPresent(const std::string& stream, Offset seq, bool erase = true) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = erase ? js_EraseMsg(js_, stream.c_str(), seq, nullptr, &jerr)
                         : js_DeleteMsg(js_, stream.c_str(), seq, nullptr, &jerr);
    if (s == NATS_OK) return true;
    if (s == NATS_NOT_FOUND || jerr == JSSequenceNotFoundErr || jerr == JSNoMessageFoundErr) {
      return false;
    }
    return NatsError(fmt::format("delete message {} of {}", seq, stream), s, jerr);
  }

  natsConnection* nc_;
  jsCtx* js_;
  PublisherPool pubs_;  // cleared before the connection goes (the destructor)
  std::unique_ptr<PgPool> pg_;
  const std::string state_url_;
  const std::string prefix_;           // subjects: <prefix>.raw, <prefix>.events.<p>
  const std::string raw_subject_;      // <prefix>.raw: the raw stream's one subject
  const std::string appended_raw_;     // core NATS: "raw records were appended"
  const std::string appended_events_;  // and "events were appended"
  const std::string raw_stream_;       // <NAME>_RAW
  const std::string events_stream_;    // <NAME>_EVENTS
  std::shared_ptr<const PayloadCipher> cipher_;
};

// Creates `name` with `subject` when missing.
Status EnsureStream(jsCtx* js, const std::string& name, const std::string& subject,
                    const JetStreamLogOptions& o) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, name.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    // Someone else's stream by that name would mix their messages with our records.
    const jsStreamConfig* c = si->Config;
    const bool ours = c && c->SubjectsLen == 1 && subject == c->Subjects[0] &&
                      c->Retention == js_LimitsPolicy && c->MaxMsgs <= 0 && c->MaxBytes <= 0 &&
                      c->MaxAge == 0;
    jsStreamInfo_Destroy(si);
    if (!ours) {
      return InvalidArgument(fmt::format(
          "NATS JetStream: the stream {} exists but is not the one supportpipe makes (only "
          "subject {}, no limits on age or count, which would drop acknowledged records): "
          "choose another [storage] log_name, or fix the stream",
          name, subject));
    }
    return Status::Ok();
  }
  if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
    return NatsError("stream info of " + name, s, jerr);
  }
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  const char* subjects[] = {subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.Replicas = o.replicas;
  cfg.Duplicates = o.duplicate_window_s * 1000 * 1000 * 1000;
  // A cluster that is still starting has too few servers known for the replicas: wait for
  // them (up to 30 s) rather than fail the start.
  for (int attempt = 0; attempt < 60; ++attempt) {
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, js, &cfg, nullptr, &jerr);
    if (s == NATS_OK || jerr != JSClusterNoPeersErr) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (s != NATS_OK && jerr != JSStreamNameExistErr) {
    return NatsError("create stream " + name, s, jerr);
  }
  jsStreamInfo_Destroy(si);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<EventLog>> OpenJetStreamEventLog(const JetStreamLogOptions& o) {
  if (o.name.empty() || o.name.size() > 48 ||
      !std::all_of(o.name.begin(), o.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return InvalidArgument("the log's name must be 1-48 letters, digits or '_'", "name");
  }
  if (o.replicas != 1 && o.replicas != 3 && o.replicas != 5) {
    return InvalidArgument("replicas must be 1, 3 or 5", "replicas");
  }
  // PostgreSQL first: its schema, under an advisory lock so processes starting together
  // do not race on CREATE.
  const std::string schema = AsciiLower(o.name);
  RETURN_IF_ERROR(PgCreateInSchema(o.state_url, schema, kSchema));
  auto pool = std::make_unique<PgPool>(PgUrlWithSearchPath(o.state_url, schema), kPoolSize);

  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<std::string> urls;
  for (size_t start = 0; start <= o.nats_urls.size();) {
    size_t comma = o.nats_urls.find(',', start);
    if (comma == std::string::npos) comma = o.nats_urls.size();
    if (comma > start) urls.push_back(o.nats_urls.substr(start, comma - start));
    start = comma + 1;
  }
  if (urls.empty()) {
    natsOptions_Destroy(opts);
    return InvalidArgument("no NATS server URL given", "log");
  }
  std::vector<const char*> servers;
  for (const std::string& u : urls) servers.push_back(u.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // keep trying: the cluster heals
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetName(opts, "supportpipe");
  if (s == NATS_OK && !o.token.empty()) s = natsOptions_SetToken(opts, o.token.c_str());
  if (s == NATS_OK && !o.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, o.credentials_file.c_str(), nullptr);
  }
  const bool tls = !o.tls_ca_file.empty() || o.nats_urls.find("tls://") != std::string::npos;
  if (s == NATS_OK && tls) s = natsOptions_SetSecure(opts, true);
  if (s == NATS_OK && !o.tls_ca_file.empty()) {
    s = natsOptions_LoadCATrustedCertificates(opts, o.tls_ca_file.c_str());
  }
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return NatsError("connect to " + o.nats_urls, s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = kRequestWaitMs;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) {
    natsConnection_Destroy(nc);
    return NatsError("open a JetStream context", s);
  }
  auto log = std::make_unique<JetStreamEventLog>(nc, js, std::move(pool), o);
  const std::string upper = AsciiUpper(o.name);
  RETURN_IF_ERROR(EnsureStream(js, upper + "_RAW", schema + ".raw", o));
  RETURN_IF_ERROR(EnsureStream(js, upper + "_EVENTS", schema + ".events.>", o));
  return std::unique_ptr<EventLog>(std::move(log));
}

}  // namespace supportpipe::log
