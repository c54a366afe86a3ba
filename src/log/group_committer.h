// GroupCommitter: turns many concurrent small appends into one durable append.
//
// Intake threads Submit() the records of one request and get a callback once they are
// on stable storage; a commit thread drains everything queued since the last commit into
// one EventLog::AppendRaw (one transaction, one fsync). With `committers` > 1 (for logs
// whose appends overlap well, EventLog::parallel_appends), the next batch is committed
// while the last one still waits for its acknowledgements. The queue is bounded in
// records and in requests (queued or being committed): when either bound is reached, Submit
// refuses at once so that intake can answer 429 instead of growing.
//
//   GroupCommitter gc(log, {.max_pending = 20000});
//   Status st = gc.Submit(std::move(records), [](Status s, std::vector<AppendResult> r) {...});
//
// Thread-safe. Callbacks run on the commit thread: keep them short (post to an executor).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "log/event_log.h"

namespace supportpipe::log {

class GroupCommitter {
 public:
  using Callback = std::function<void(const Status&, std::vector<AppendResult>)>;
  struct Options {
    size_t max_pending = 20000;  // records queued and not yet committed
    size_t max_requests = 256;   // requests queued or being committed
    size_t max_batch = 4096;     // records per commit
    int committers = 1;          // commits in flight at once
    // After each durable commit, on the commit thread: what was appended and how, and how
    // long the append took (seconds).
    std::function<void(std::span<const RawRecord>, std::span<const AppendResult>, double)>
        on_commit;
  };

  GroupCommitter(EventLog& log, Options options);
  ~GroupCommitter();  // commits what is queued, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues the records. ResourceExhausted (nothing queued, `done` not called) when the
  // queue is full; otherwise `done` is called exactly once.
  Status Submit(std::vector<RawRecord> records, Callback done);
  size_t pending() const;

 private:
  struct Request {
    std::vector<RawRecord> records;
    Callback done;
  };
  void Run();

  EventLog& log_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  size_t pending_ = 0;           // records
  size_t pending_requests_ = 0;  // requests
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace supportpipe::log
