#include "common/time.h"

#include <gtest/gtest.h>

namespace supportpipe {
namespace {

TEST(TimeTest, ParsesOffsetsIntoUtcMicros) {
  auto a = ParseRfc3339("2025-11-30T10:15:02+01:00");
  auto b = ParseRfc3339("2025-11-30T09:15:02Z");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*b, 1764494102LL * 1000000);
  EXPECT_EQ(*ParseRfc3339("2025-11-30T09:15:02-05:30"), *b + 5LL * 3600000000 + 1800000000LL);
}

TEST(TimeTest, KeepsMicrosecondsAndTruncatesNanoseconds) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00.5Z"), 500000);
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:01.123456789Z"), 1123456);
}

TEST(TimeTest, RejectsMalformedTimestamps) {
  for (const char* bad : {"2026-11-30 10:15:02Z", "2026-11-30T10:15:02", "2026-02-30T00:00:00Z",
                          "2026-11-30T25:00:00Z", "2026-11-30T10:15:02+0100", "yesterday",
                          "2026-11-30T10:15:02Zjunk", "2026-11-30T10:15:02.Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(TimeTest, UnixNumbersAreSecondsOrMilliseconds) {
  EXPECT_EQ(*FromUnixNumber(1764494102), 1764494102LL * 1000000);
  EXPECT_EQ(*FromUnixNumber(1764494102123.0), 1764494102123LL * 1000);
  EXPECT_FALSE(FromUnixNumber(-1).ok());
}

TEST(TimeTest, FormatRoundTrips) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000Z");
  const auto t = *ParseRfc3339("2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(t), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339(t)), t);
}

}  // namespace
}  // namespace supportpipe
