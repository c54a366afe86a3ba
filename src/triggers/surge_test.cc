#include "triggers/surge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace supportpipe::triggers {
namespace {

TEST(SurgeTest, HandComputedBuckets) {
  SurgeSeries s({});
  const double a = 1 - std::pow(2.0, -1.0 / 12);
  // Bucket 0: mean 0, variance 0: score = 12 / sqrt(max(0, 0, 1)) = 12 >= 4, count >= 10.
  auto first = s.Next(12);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->bucket, 0);
  EXPECT_DOUBLE_EQ(first->score, 12);
  EXPECT_NEAR(s.mean(), a * 12, 1e-12);
  EXPECT_NEAR(s.variance(), (1 - a) * a * 144, 1e-12);
  // Below min_count never signals, whatever the score.
  SurgeSeries t({});
  EXPECT_FALSE(t.Next(9).has_value());
  // After an empty bucket: diff = -mean, mean *= (1 - a), variance = (1-a)(v + a mean^2).
  const double m = s.mean(), v = s.variance();
  s.SkipEmpty(1);
  EXPECT_NEAR(s.mean(), m * (1 - a), 1e-12);
  EXPECT_NEAR(s.variance(), (1 - a) * (v + a * m * m), 1e-12);
}

// A realistic quiet stream: ~20 creations per bucket with noise.
std::vector<int64_t> Quiet(std::mt19937_64& rng, int n) {
  std::poisson_distribution<int64_t> p(20);
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(p(rng));
  return out;
}

TEST(SurgeTest, AQuietStreamRaisesNoneAndAnInjectedSurgeIsDetectedOnceAtItsBucket) {
  std::mt19937_64 rng(11);
  std::vector<int64_t> counts = Quiet(rng, 600);
  auto signals = [](const std::vector<int64_t>& c, int64_t from) {
    SurgeSeries s({});
    std::vector<int64_t> at;
    for (int64_t b = 0; b < static_cast<int64_t>(c.size()); ++b) {
      auto sig = s.Next(c[b]);
      if (sig && b >= from) at.push_back(sig->bucket);
    }
    return at;
  };
  // The first buckets learn the baseline (the very first one signals from a zero mean).
  EXPECT_TRUE(signals(counts, 48).empty());
  // Three buckets of 80 at 400: one signal, at 400; the cooldown covers 401 and 402.
  for (int b = 400; b < 403; ++b) counts[b] = 80;
  EXPECT_EQ(signals(counts, 48), std::vector<int64_t>{400});
}

TEST(SurgeTest, TheCooldownEndsAndALaterSurgeSignalsAgain) {
  SurgeSeries s({.cooldown_buckets = 2});
  for (int i = 0; i < 100; ++i) s.Next(20);
  ASSERT_TRUE(s.Next(100).has_value());  // bucket 100
  EXPECT_FALSE(s.Next(20).has_value());  // 101: quiet
  EXPECT_FALSE(s.Next(20).has_value());  // 102: quiet
  for (int i = 0; i < 50; ++i) s.Next(20);
  auto again = s.Next(100);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->bucket, 153);
}

}  // namespace
}  // namespace supportpipe::triggers
