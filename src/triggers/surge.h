// Surge detection (docs/metrics.md#surge-detection), for one dimension value: ticket
// creations per bucket, an exponentially weighted mean and variance over every bucket from
// the value's first one (empty ones included, both starting at 0), and a surge when
//   count >= min_count  and  (count - mean) / sqrt(max(variance, mean, 1)) >= threshold
// with mean and variance as they were before the bucket; after a surge the value stays
// quiet for cooldown_buckets. Pure and deterministic: the same counts give the same signals,
// however the events arrived.
//
//   SurgeSeries s(params);
//   for (int64_t b = first; b <= last; ++b)
//     if (auto sig = s.Next(count[b])) Emit(*sig);
#pragma once

#include <cstdint>
#include <optional>

namespace supportpipe::triggers {

struct SurgeParams {
  int64_t bucket_s = 300;
  double half_life_buckets = 12;
  double threshold = 4.0;
  int64_t min_count = 10;  // >= 1
  int64_t cooldown_buckets = 6;
};

struct SurgeSignal {
  int64_t bucket = 0;  // index since the value's first bucket (0-based)
  int64_t count = 0;
  double mean = 0;      // before the bucket
  double variance = 0;  // before the bucket
  double score = 0;
};

class SurgeSeries {
 public:
  explicit SurgeSeries(const SurgeParams& params);

  // The next bucket's count; a signal when it is a surge.
  std::optional<SurgeSignal> Next(int64_t count);
  // `n` empty buckets at once (none of them can be a surge).
  void SkipEmpty(int64_t n);

  double mean() const { return mean_; }
  double variance() const { return variance_; }

 private:
  void Update(double count);

  SurgeParams params_;
  double alpha_;
  double mean_ = 0;
  double variance_ = 0;
  int64_t bucket_ = 0;       // index of the next bucket
  int64_t quiet_until_ = 0;  // first bucket after the cooldown
};

}  // namespace supportpipe::triggers
