#include "log/group_committer.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace supportpipe::log {

GroupCommitter::GroupCommitter(EventLog& log, Options options)
    : log_(log), options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.committers); ++i)
    threads_.emplace_back([this] { Run(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

Status GroupCommitter::Submit(std::vector<RawRecord> records, Callback done) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return Unavailable("the log is shutting down");
    if (pending_ + records.size() > options_.max_pending ||
        pending_requests_ >= options_.max_requests) {
      return ResourceExhausted("the append queue is full");
    }
    pending_ += records.size();
    ++pending_requests_;
    queue_.push_back({std::move(records), std::move(done)});
  }
  cv_.notify_one();
  return Status::Ok();
}

size_t GroupCommitter::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
}

void GroupCommitter::Run() {
  pthread_setname_np(pthread_self(), "committer");
  std::vector<Request> batch;
  std::vector<RawRecord> records;
  std::vector<AppendResult> results;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t n = 0;
      while (!queue_.empty() &&
             (batch.empty() || n + queue_.front().records.size() <= options_.max_batch)) {
        n += queue_.front().records.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    records.clear();
    for (auto& req : batch) {
      for (auto& r : req.records) records.push_back(std::move(r));
    }
    const auto started = std::chrono::steady_clock::now();
    const Status st = log_.AppendRaw(records, &results);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    {
      std::lock_guard lock(mu_);
      pending_ -= records.size();
      pending_requests_ -= batch.size();
    }
    if (st.ok() && options_.on_commit) options_.on_commit(records, results, seconds);
    size_t pos = 0;
    for (auto& req : batch) {
      const size_t n = req.records.size();
      std::vector<AppendResult> mine;
      if (st.ok()) mine.assign(results.begin() + pos, results.begin() + pos + n);
      pos += n;
      req.done(st, std::move(mine));
    }
  }
}

}  // namespace supportpipe::log
