#include "common/token_bucket.h"

#include <gtest/gtest.h>

namespace supportpipe {
namespace {

TEST(TokenBucketTest, BurstThenRateAndTheWaitUntilTheNextToken) {
  TokenBucket b(2, 3);  // 2 per second, up to 3 at once
  const TimeMicros t0 = 1000000;
  EXPECT_TRUE(b.Take(t0));
  EXPECT_TRUE(b.Take(t0));
  EXPECT_TRUE(b.Take(t0));
  TimeMicros wait = 0;
  EXPECT_FALSE(b.Take(t0, &wait));
  EXPECT_EQ(wait, 500001);  // half a second for the next token
  EXPECT_FALSE(b.Take(t0 + 400000));
  EXPECT_TRUE(b.Take(t0 + 500001));
  EXPECT_FALSE(b.Full(t0 + 500001));
  EXPECT_TRUE(b.Full(t0 + 10000000));  // refilled, never beyond the burst
  EXPECT_TRUE(b.Take(t0 + 10000000));
  EXPECT_TRUE(b.Take(t0 + 10000000));
  EXPECT_TRUE(b.Take(t0 + 10000000));
  EXPECT_FALSE(b.Take(t0 + 10000000));
}

}  // namespace
}  // namespace supportpipe
