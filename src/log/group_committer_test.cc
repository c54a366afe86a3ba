#include "log/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "common/test_dir.h"
#include "log/sqlite/sqlite_event_log.h"

namespace supportpipe::log {
namespace {

class GroupCommitterTest : public testing::Test {
 protected:
  void SetUp() override { log_ = std::move(OpenSqliteEventLog(dir_.path())).value(); }

  static RawRecord Rec(std::string id) {
    RawRecord r;
    r.source = "s";
    r.kind = "event";
    r.vendor = "canonical";
    r.delivery_id = std::move(id);
    r.headers = "{}";
    r.body = "{}";
    return r;
  }

  TestDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(GroupCommitterTest, EveryCallbackSeesItsOwnDurableResults) {
  std::atomic<int> commits{0};
  std::vector<std::future<std::vector<AppendResult>>> futures;
  {
    GroupCommitter gc(*log_,
                      {.max_requests = 300, .on_commit = [&](auto, auto, double) { ++commits; }});
    for (int i = 0; i < 300; ++i) {
      auto p = std::make_shared<std::promise<std::vector<AppendResult>>>();
      futures.push_back(p->get_future());
      std::vector<RawRecord> recs = {Rec("id" + std::to_string(i)),
                                     Rec("id" + std::to_string(i / 2))};
      ASSERT_TRUE(gc.Submit(std::move(recs), [p](const Status& st, std::vector<AppendResult> r) {
                      EXPECT_TRUE(st.ok());
                      p->set_value(std::move(r));
                    }).ok());
    }
  }
  int dup = 0;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_EQ(r.size(), 2u);
    dup += r[1].outcome == AppendOutcome::kDuplicate;
  }
  EXPECT_EQ(dup, 300);  // id(i/2) was always appended already
  EXPECT_EQ(log_->ReadRaw(0, 1000)->size(), 300u);
  EXPECT_LT(commits.load(), 300);  // grouped, not one commit per request
}

TEST_F(GroupCommitterTest, SeveralCommittersStoreEachKeyOnceAndAnswerEveryRequest) {
  std::vector<std::future<std::vector<AppendResult>>> futures;
  {
    GroupCommitter gc(*log_, {.max_requests = 1000, .committers = 3});
    std::vector<std::thread> senders;
    std::mutex mu;
    for (int t = 0; t < 4; ++t) {
      senders.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          auto p = std::make_shared<std::promise<std::vector<AppendResult>>>();
          {
            std::lock_guard lock(mu);
            futures.push_back(p->get_future());
          }
          // Every sender sends the same 100 keys: each must be stored once.
          EXPECT_TRUE(gc.Submit({Rec("k" + std::to_string(i))}, [p](const Status& st,
                                                                    std::vector<AppendResult> r) {
                          EXPECT_TRUE(st.ok());
                          p->set_value(std::move(r));
                        }).ok());
          (void)t;
        }
      });
    }
    for (auto& s : senders) s.join();
  }
  std::map<Offset, int> appended;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_EQ(r.size(), 1u);
    if (r[0].outcome == AppendOutcome::kAppended) ++appended[r[0].offset];
  }
  EXPECT_EQ(appended.size(), 100u);
  for (const auto& [offset, n] : appended) EXPECT_EQ(n, 1) << offset;
  EXPECT_EQ(log_->ReadRaw(0, 1000)->size(), 100u);
}

TEST_F(GroupCommitterTest, FullQueueRefusesInsteadOfGrowing) {
  GroupCommitter gc(*log_, {.max_pending = 2});
  std::vector<RawRecord> three = {Rec("a"), Rec("b"), Rec("c")};
  Status st = gc.Submit(std::move(three), [](const Status&, std::vector<AppendResult>) {});
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
}

TEST_F(GroupCommitterTest, RequestsWaitingForTheLogAreBounded) {
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<int> answered{0};
  {
    GroupCommitter gc(*log_, {.max_requests = 2});
    // The first request's answer holds the commit thread, so the next ones wait.
    ASSERT_TRUE(gc.Submit({Rec("a")}, [&](const Status&, std::vector<AppendResult>) {
                    entered.set_value();
                    released.wait();
                    ++answered;
                  }).ok());
    entered.get_future().wait();
    ASSERT_TRUE(gc.Submit({Rec("b")}, [&](const Status&, auto) { ++answered; }).ok());
    ASSERT_TRUE(gc.Submit({Rec("c")}, [&](const Status&, auto) { ++answered; }).ok());
    EXPECT_EQ(gc.Submit({Rec("x")}, [&](const Status&, auto) { ++answered; }).code(),
              StatusCode::kResourceExhausted);
    release.set_value();
  }
  EXPECT_EQ(answered.load(), 3);
  // Once answered, requests are taken again.
  GroupCommitter gc(*log_, {.max_requests = 1});
  std::promise<void> done;
  ASSERT_TRUE(gc.Submit({Rec("d")}, [&](const Status&, auto) { done.set_value(); }).ok());
  done.get_future().wait();
  std::promise<void> done2;
  EXPECT_TRUE(gc.Submit({Rec("e")}, [&](const Status&, auto) { done2.set_value(); }).ok());
  done2.get_future().wait();
}

}  // namespace
}  // namespace supportpipe::log
