// Clock: the one way code reads the time, so tests can drive a fake one.
//   SystemClock clock; TimeMicros now = clock.Now();
// Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include "common/time.h"

namespace supportpipe {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC.
  virtual TimeMicros Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMicros Now() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMicros start) : now_(start) {}
  TimeMicros Now() const override { return now_.load(); }
  void Set(TimeMicros t) { now_.store(t); }
  void Advance(TimeMicros d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMicros> now_;
};

}  // namespace supportpipe
