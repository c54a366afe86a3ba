// A token bucket: `rate` tokens per second, holding at most `burst`; starts full.
//
//   TokenBucket b(50, 50);
//   if (TimeMicros wait; !b.Take(clock.Now(), &wait)) RetryIn(wait);
//
// Plain value; not synchronised.
#pragma once

#include <algorithm>

#include "common/time.h"

namespace supportpipe {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst), tokens_(burst) {}

  // Takes one token at `now`. When none is left, returns false and sets `*wait` (may be null)
  // to how long until one is.
  bool Take(TimeMicros now, TimeMicros* wait = nullptr) {
    Refill(now);
    if (tokens_ < 1) {
      if (wait) *wait = static_cast<TimeMicros>((1 - tokens_) / rate_ * 1e6) + 1;
      return false;
    }
    tokens_ -= 1;
    return true;
  }

  // Whether the bucket is full at `now` (an idle client's bucket can be forgotten).
  bool Full(TimeMicros now) {
    Refill(now);
    return tokens_ >= burst_;
  }

 private:
  void Refill(TimeMicros now) {
    if (now > refilled_at_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - refilled_at_) * rate_ / 1e6);
      refilled_at_ = now;
    }
  }

  double rate_, burst_, tokens_;
  TimeMicros refilled_at_ = 0;
};

}  // namespace supportpipe
