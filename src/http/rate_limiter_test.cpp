#include "http/rate_limiter.h"

#include <gtest/gtest.h>

namespace pacsport::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RateLimiterTest, ABurstPassesThenTheKeyWaitsForItsRefill) {
  RateLimiter limiter(RateLimit{2, 4});
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(limiter.Take("10.0.0.1", start)) << i;
  const auto wait = limiter.Take("10.0.0.1", start);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(1));
  // Half a second later, one token has come back (two per second).
  EXPECT_FALSE(limiter.Take("10.0.0.1", start + milliseconds(500)));
  EXPECT_TRUE(limiter.Take("10.0.0.1", start + milliseconds(500)));
}

TEST(RateLimiterTest, KeysHaveBucketsOfTheirOwn) {
  RateLimiter limiter(RateLimit{1, 1});
  const auto now = RateLimiter::Clock::now();
  EXPECT_FALSE(limiter.Take("a", now));
  EXPECT_TRUE(limiter.Take("a", now));
  EXPECT_FALSE(limiter.Take("b", now));
}

TEST(RateLimiterTest, RetryAfterCoversTheWholeWait) {
  RateLimiter limiter(RateLimit{0.1, 1});
  const auto now = RateLimiter::Clock::now();
  EXPECT_FALSE(limiter.Take("a", now));
  EXPECT_EQ(limiter.Take("a", now), seconds(10));
}

TEST(RateLimiterTest, MemoryIsBoundedAndNewKeysAreRefusedWhileEveryBucketIsInUse) {
  RateLimiter limiter(RateLimit{1, 2}, /*max_keys=*/3);
  const auto now = RateLimiter::Clock::now();
  for (const char* key : {"a", "b", "c"}) EXPECT_FALSE(limiter.Take(key, now));
  // Every bucket is part-used: no room for a fourth key.
  EXPECT_TRUE(limiter.Take("d", now));
  // Once they have refilled they hold nothing worth keeping and make room.
  EXPECT_FALSE(limiter.Take("d", now + seconds(5)));
}

}  // namespace
}  // namespace pacsport::http
