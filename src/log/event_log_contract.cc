#include "log/event_log_contract.h"

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "common/test_servers.h"

namespace supportpipe::log {
namespace {

RawRecord Raw(std::string source, std::string delivery_id, std::string body, TimeMicros at = 1000) {
  RawRecord r;
  r.source = std::move(source);
  r.kind = "webhook";
  r.vendor = "standard";
  r.delivery_id = std::move(delivery_id);
  r.received_at = at;
  r.headers = "{}";
  r.body = std::move(body);
  return r;
}

EventRecord Ev(std::string id, Offset raw_offset, std::string payload) {
  EventRecord e;
  e.source = "s";
  e.event_id = std::move(id);
  e.ticket_id = "t1";
  e.type = "ticket.created";
  e.occurred_at = 5;
  e.raw_offset = raw_offset;
  e.payload = std::move(payload);
  return e;
}

}  // namespace

void EventLogContract::SetUp() {
  if (GetParam().unavailable) {
    if (std::string why = GetParam().unavailable(); !why.empty()) {
      if (TestServersRequired()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }
  log_ = Reopen();
}

void EventLogContract::TearDown() { log_.reset(); }

std::unique_ptr<EventLog> EventLogContract::Reopen() {
  auto r = GetParam().open(dir_.path());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST_P(EventLogContract, ReadRawReturnsRecordsInAppendOrderWithExactBytes) {
  std::string binary("{\"a\":1}\r\n\0\xff", 11);
  std::vector<RawRecord> in = {Raw("s", "d1", "one"), Raw("s", "d2", binary)};
  std::vector<AppendResult> res;
  ASSERT_TRUE(log_->AppendRaw(in, &res).ok());
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].outcome, AppendOutcome::kAppended);
  EXPECT_LT(res[0].offset, res[1].offset);
  auto out = log_->ReadRaw(0, 10);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].body, "one");
  EXPECT_EQ((*out)[1].body, binary);
  EXPECT_EQ((*out)[1].offset, res[1].offset);
  EXPECT_EQ(log_->ReadRaw(res[0].offset, 10)->size(), 1u);
  EXPECT_EQ(*log_->LastOffset("raw"), res[1].offset);
}

TEST_P(EventLogContract, DuplicateDeliveryIdIsNotStoredTwice) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(log_->AppendRaw(std::vector<RawRecord>{Raw("s", "d1", "first")}, &res).ok());
  const Offset first = res[0].offset;
  ASSERT_TRUE(
      log_->AppendRaw(std::vector<RawRecord>{Raw("s", "d1", "second"), Raw("other", "d1", "x")},
                      &res)
          .ok());
  EXPECT_EQ(res[0].outcome, AppendOutcome::kDuplicate);
  EXPECT_EQ(res[0].offset, first);
  EXPECT_EQ(res[1].outcome, AppendOutcome::kAppended);  // keys are per source
  auto all = *log_->ReadRaw(0, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].body, "first");
}

TEST_P(EventLogContract, AppendedRecordsSurviveReopen) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(log_->AppendRaw(std::vector<RawRecord>{Raw("s", "d1", "kept")}, &res).ok());
  ASSERT_TRUE(log_->CommitCursor("processor", res[0].offset).ok());
  log_ = Reopen();
  EXPECT_EQ(log_->ReadRaw(0, 10)->at(0).body, "kept");
  EXPECT_EQ(*log_->GetCursor("processor"), res[0].offset);
}

TEST_P(EventLogContract, FindRawFiltersBySourceAndTime) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(
      log_->AppendRaw(std::vector<RawRecord>{Raw("a", "1", "x", 100), Raw("a", "2", "y", 200),
                                             Raw("b", "3", "z", 150), Raw("a", "4", "w", 300)},
                      &res)
          .ok());
  auto found = *log_->FindRaw("a", 100, 300, 0, 10);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].body, "x");
  EXPECT_EQ(found[1].body, "y");
  EXPECT_EQ(log_->FindRaw("a", 100, 300, found[0].offset, 10)->size(), 1u);
  auto one = *log_->GetRaw(res[2].offset);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->source, "b");
  EXPECT_FALSE(log_->GetRaw(9999)->has_value());
}

TEST_P(EventLogContract, FirstEventWinsAndRederivationReplaces) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("e1", 1, "v1")}, &res).ok());
  const Offset first = res[0].offset;
  // Same id from another raw record with another body: a no-op.
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("e1", 2, "other")}, &res).ok());
  EXPECT_EQ(res[0].outcome, AppendOutcome::kDuplicate);
  EXPECT_EQ(res[0].offset, first);
  // Same raw record, same payload: a no-op too.
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("e1", 1, "v1")}, &res).ok());
  EXPECT_EQ(res[0].outcome, AppendOutcome::kDuplicate);
  // Same raw record re-processed by a fixed mapping: replaced at a new offset.
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("e1", 1, "v2")}, &res).ok());
  EXPECT_EQ(res[0].outcome, AppendOutcome::kReplaced);
  EXPECT_GT(res[0].offset, first);
  auto events = *log_->ReadEvents(0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, "v2");
  EXPECT_EQ(events[0].ticket_id, "t1");
  EXPECT_EQ(*log_->LastOffset("events"), res[0].offset);
  // Derived events (raw offset 0) are never replaced: the first one recorded stands.
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("d1", 0, "first")}, &res).ok());
  const Offset derived = res[0].offset;
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{Ev("d1", 0, "later")}, &res).ok());
  EXPECT_EQ(res[0].outcome, AppendOutcome::kDuplicate);
  EXPECT_EQ(res[0].offset, derived);
}

TEST_P(EventLogContract, CursorsMoveForwardUnlessRewindIsAsked) {
  EXPECT_EQ(*log_->GetCursor("c"), 0u);
  ASSERT_TRUE(log_->CommitCursor("c", 10).ok());
  ASSERT_TRUE(log_->CommitCursor("c", 5).ok());
  EXPECT_EQ(*log_->GetCursor("c"), 10u);
  ASSERT_TRUE(log_->CommitCursor("c", 5, /*allow_rewind=*/true).ok());
  EXPECT_EQ(*log_->GetCursor("c"), 5u);
}

TEST_P(EventLogContract, DeadLettersAreIdempotentPerStageRecordAndItem) {
  DeadLetter d;
  d.stage = "validate";
  d.reason = "is required";
  d.field = "/id";
  d.source = "s";
  d.raw_offset = 7;
  d.item = 2;
  d.created_at = 1;
  ASSERT_TRUE(log_->AddDeadLetters(std::vector<DeadLetter>{d}).ok());
  d.reason = "still required";
  ASSERT_TRUE(log_->AddDeadLetters(std::vector<DeadLetter>{d}).ok());
  auto all = *log_->ListDeadLetters("", 0, 10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].reason, "still required");
  EXPECT_EQ(all[0].attempts, 2);
  EXPECT_EQ(*log_->CountDeadLetters("open"), 1);
  ASSERT_TRUE(log_->SetDeadLetterState(all[0].id, "replayed").ok());
  EXPECT_EQ(*log_->CountDeadLetters("open"), 0);
  EXPECT_EQ((*log_->GetDeadLetter(all[0].id))->state, "replayed");
  EXPECT_EQ(log_->SetDeadLetterState(999, "replayed").code(), StatusCode::kNotFound);
}

TEST_P(EventLogContract, DriftAddsUpPerSourceAndFieldAndSurvivesReopen) {
  std::vector<DriftField> first = {{"a", "detail.x", 2, 100, 100, "e1"},
                                   {"b", "detail.x", 1, 50, 50, "e9"}};
  ASSERT_TRUE(log_->RecordDrift(first).ok());
  std::vector<DriftField> later = {{"a", "detail.x", 3, 300, 300, "e2"},
                                   {"a", "detail.x", 1, 10, 10, "e0"}};
  ASSERT_TRUE(log_->RecordDrift(later).ok());
  log_ = Reopen();
  auto a = *log_->ListDrift("a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].count, 6);
  EXPECT_EQ(a[0].first_seen, 10);
  EXPECT_EQ(a[0].last_seen, 300);
  EXPECT_EQ(a[0].last_event_id, "e2");
  EXPECT_EQ(log_->ListDrift("")->size(), 2u);
  EXPECT_TRUE(log_->ListDrift("none")->empty());
}

TEST_P(EventLogContract, StateIsDurableAndOverwritten) {
  EXPECT_FALSE(log_->GetState("sync:a")->has_value());
  ASSERT_TRUE(log_->PutState("sync:a", "cursor-1").ok());
  ASSERT_TRUE(log_->PutState("sync:a", "cursor-2").ok());
  ASSERT_TRUE(log_->PutState("sync:b", "").ok());
  log_ = Reopen();
  EXPECT_EQ(**log_->GetState("sync:a"), "cursor-2");
  EXPECT_EQ(**log_->GetState("sync:b"), "");
}

TEST_P(EventLogContract, ConcurrentAppendersAllLand) {
  constexpr int kThreads = 4, kPer = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        std::vector<AppendResult> res;
        Status st = log_->AppendRaw(
            std::vector<RawRecord>{Raw("s", std::to_string(t) + "-" + std::to_string(i), "b")},
            &res);
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(log_->ReadRaw(0, 10000)->size(), static_cast<size_t>(kThreads * kPer));
}

}  // namespace supportpipe::log

namespace supportpipe::log {

TEST_P(EventLogContract, OutboxEnqueuesOncePerDestinationAndEventAndTracksAttempts) {
  auto delivery = [](std::string dest, std::string event, TimeMicros due) {
    Delivery d;
    d.destination = std::move(dest);
    d.source = "acme";
    d.event_id = std::move(event);
    d.type = "sla.breached";
    d.event_offset = 7;
    d.message_id = "msg_" + d.destination + d.event_id;
    d.payload = "{}";
    d.next_attempt_at = due;
    d.created_at = due;
    d.updated_at = due;
    d.event_received_at = 42;
    return d;
  };
  ASSERT_TRUE(log_->EnqueueDeliveries(std::vector<Delivery>{delivery("ops", "e1", 100),
                                                            delivery("ops", "e2", 50),
                                                            delivery("crm", "e1", 100)})
                  .ok());
  // A repeat (a dispatcher re-reading after a crash) changes nothing.
  ASSERT_TRUE(log_->EnqueueDeliveries(std::vector<Delivery>{delivery("ops", "e1", 999)}).ok());
  auto all = log_->ListDeliveries({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].next_attempt_at, 100);
  auto due = log_->ListDeliveries({.destination = "ops", .due_by = 100});
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].event_id, "e2");  // soonest first
  EXPECT_TRUE(log_->ListDeliveries({.destination = "ops", .due_by = 49})->empty());
  Delivery d = (*due)[0];
  d.state = "dead";
  d.attempts = 3;
  d.last_status = 410;
  d.last_error = "gone";
  ASSERT_TRUE(log_->UpdateDelivery(d).ok());
  log_.reset();
  log_ = Reopen();
  auto back = log_->GetDelivery(d.id);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->state, "dead");
  EXPECT_EQ((*back)->attempts, 3);
  EXPECT_EQ((*back)->last_status, 410);
  EXPECT_EQ(log_->ListDeliveries({.state = "dead"})->size(), 1u);
  EXPECT_EQ(log_->ListDeliveries({.destination = "ops", .due_by = 1000})->size(), 1u);
  auto ops = log_->CountDeliveries("ops");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->pending, 1);
  EXPECT_EQ(ops->dead, 1);
  EXPECT_EQ(ops->oldest_pending_at, 100);
  EXPECT_EQ((*back)->event_received_at, 42);
  EXPECT_EQ(log_->CountDeliveries("nobody")->pending, 0);
}

}  // namespace supportpipe::log

namespace supportpipe::log {

TEST_P(EventLogContract, RetentionPurgesOnlyWhatIsOldEnoughAndProcessed) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(log_->AppendRaw(std::vector<RawRecord>{Raw("s", "a", "old 1", 100),
                                                     Raw("s", "b", "old 2", 200),
                                                     Raw("s", "c", "new", 900)},
                              &res)
                  .ok());
  // Old, but only the first is processed yet.
  auto n = log_->PurgeRaw(500, res[0].offset);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  auto left = log_->ReadRaw(0, 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].delivery_id, "b");
  EXPECT_EQ(*log_->PurgeRaw(500, res[2].offset), 1);
  EXPECT_EQ(*log_->PurgeRaw(500, res[2].offset), 0);

  DeadLetter old_letter{
      .stage = "decode", .reason = "x", .source = "s", .raw_offset = 1, .created_at = 100};
  DeadLetter new_letter = old_letter;
  new_letter.raw_offset = 2;
  new_letter.created_at = 900;
  ASSERT_TRUE(log_->AddDeadLetters(std::vector<DeadLetter>{old_letter, new_letter}).ok());
  EXPECT_EQ(*log_->PurgeDeadLetters(500), 1);
  EXPECT_EQ(*log_->CountDeadLetters(""), 1);

  EventRecord early = Ev("e1", 1, R"({"message":{"body":"hello"}})");
  early.occurred_at = 100;
  EventRecord plain = Ev("e2", 2, R"({"ticket":{"id":"t1"}})");
  plain.occurred_at = 100;
  EventRecord late = Ev("e3", 3, R"({"message":{"body":"later"}})");
  late.occurred_at = 900;
  ASSERT_TRUE(log_->AppendEvents(std::vector<EventRecord>{early, plain, late}, &res).ok());
  std::vector<std::string> offered;
  auto rewritten = log_->RewriteEvents(500, "\"body\"", [&](const EventRecord& e) {
    offered.push_back(e.event_id);
    return std::optional<std::string>(R"({"message":{}})");
  });
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().ToString();
  EXPECT_EQ(*rewritten, 1);
  EXPECT_EQ(offered, std::vector<std::string>{"e1"});
  auto events = log_->ReadEvents(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);  // each once, wherever a backend keeps the rewritten one
  std::map<std::string, EventRecord> by_id;
  for (EventRecord& e : *events) by_id[e.event_id] = e;
  EXPECT_EQ(by_id["e1"].payload, R"({"message":{}})");
  EXPECT_EQ(by_id["e1"].raw_offset, 1u);  // the rest of the record stays
  EXPECT_EQ(by_id["e1"].occurred_at, 100);
  EXPECT_EQ(by_id["e2"].payload, R"({"ticket":{"id":"t1"}})");
  EXPECT_EQ(by_id["e3"].payload, R"({"message":{"body":"later"}})");
}

TEST_P(EventLogContract, LastOffsetIsTheLastRecordStillThere) {
  std::vector<AppendResult> res;
  ASSERT_TRUE(
      log_->AppendRaw(std::vector<RawRecord>{Raw("s", "a", "1"), Raw("s", "b", "2")}, &res).ok());
  EXPECT_EQ(*log_->LastOffset("raw"), res[1].offset);
  // The tail erased: consumers that read the first record are not behind.
  ASSERT_TRUE(log_->DeleteRaw(std::vector<Offset>{res[1].offset}).ok());
  EXPECT_EQ(*log_->LastOffset("raw"), res[0].offset);
  ASSERT_TRUE(log_->DeleteRaw(std::vector<Offset>{res[0].offset}).ok());
  EXPECT_EQ(*log_->LastOffset("raw"), 0u);
  EXPECT_FALSE(log_->LastOffset("nope").ok());
}

// A stage in one process hears of appends made by another (another opening here): raw
// records always; events where the log can tell (null otherwise).
TEST_P(EventLogContract, WatchersHearOfAppendsFromAnotherOpening) {
  std::unique_ptr<EventLog> appender = Reopen();
  ASSERT_NE(appender, nullptr);
  for (const std::string stream : {"raw", "events"}) {
    SCOPED_TRACE(stream);
    std::mutex mu;
    std::condition_variable cv;
    int heard = 0;
    auto watch = log_->Watch(stream, [&] {
      std::lock_guard lock(mu);
      ++heard;
      cv.notify_all();
    });
    if (stream == "events" && !watch) continue;
    ASSERT_NE(watch, nullptr);
    auto append = [&](const std::string& id) {
      std::vector<AppendResult> res;
      return stream == "raw"
                 ? appender->AppendRaw(std::vector<RawRecord>{Raw("s", id, id)}, &res)
                 : appender->AppendEvents(std::vector<EventRecord>{Ev(id, 1, id)}, &res);
    };
    ASSERT_TRUE(append("w1").ok());
    {
      std::unique_lock lock(mu);
      EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return heard > 0; }));
    }
    watch.reset();  // no call after this returns
    const int before = heard;
    ASSERT_TRUE(append("w2").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard lock(mu);
    EXPECT_EQ(heard, before);
  }
  EXPECT_EQ(log_->Watch("nope", [] {}), nullptr);
}

TEST_P(EventLogContract, OneHolderOfALockAtATime) {
  auto held = log_->TryLock("worker");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_NE(*held, nullptr);
  // Another opening of the same log (as another process would) cannot take it...
  std::unique_ptr<EventLog> other = Reopen();
  ASSERT_NE(other, nullptr);
  auto second = other->TryLock("worker");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, nullptr);
  // ...another lock is independent...
  auto different = other->TryLock("other-role");
  ASSERT_TRUE(different.ok());
  EXPECT_NE(*different, nullptr);
  // ...and once the holder lets go, it is free.
  held->reset();
  auto third = other->TryLock("worker");
  ASSERT_TRUE(third.ok());
  EXPECT_NE(*third, nullptr);
}

}  // namespace supportpipe::log
