#include "auth/login_rate_limiter.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace pacsport::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SystemTime kT0{seconds(1'800'000'000)};

TEST(LoginRateLimiterTest, BlocksAfterMaxFailures) {
  LoginRateLimiter limiter(3, seconds(60));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(limiter.Check("10.0.0.1", kT0 + seconds(i)), std::nullopt);
    limiter.RecordFailure("10.0.0.1", kT0 + seconds(i));
  }
  EXPECT_EQ(limiter.Check("10.0.0.1", kT0 + seconds(2)), std::nullopt);
  limiter.RecordFailure("10.0.0.1", kT0 + seconds(2));  // the third failure blocks
  EXPECT_EQ(limiter.Check("10.0.0.1", kT0 + seconds(2)), seconds(60));
  EXPECT_EQ(limiter.Check("10.0.0.1", kT0 + seconds(32)), seconds(30));
  EXPECT_EQ(limiter.Check("10.0.0.1", kT0 + seconds(61) + milliseconds(500)), seconds(1));
  // Other addresses are unaffected.
  EXPECT_EQ(limiter.Check("10.0.0.2", kT0 + seconds(3)), std::nullopt);
}

TEST(LoginRateLimiterTest, UnblocksAfterTheWindow) {
  LoginRateLimiter limiter(2, seconds(60));
  limiter.RecordFailure("a", kT0);
  limiter.RecordFailure("a", kT0 + seconds(10));
  EXPECT_TRUE(limiter.Check("a", kT0 + seconds(69)).has_value());
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(70)), std::nullopt);
  // The count starts over after the block.
  limiter.RecordFailure("a", kT0 + seconds(71));
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(72)), std::nullopt);
  limiter.RecordFailure("a", kT0 + seconds(72));
  EXPECT_TRUE(limiter.Check("a", kT0 + seconds(73)).has_value());
}

TEST(LoginRateLimiterTest, FailuresSpreadBeyondTheWindowDoNotBlock) {
  LoginRateLimiter limiter(3, seconds(60));
  for (int i = 0; i < 10; ++i) {
    limiter.RecordFailure("slow", kT0 + seconds(31 * i));
    EXPECT_EQ(limiter.Check("slow", kT0 + seconds(31 * i)), std::nullopt) << i;
  }
}

TEST(LoginRateLimiterTest, FailuresWhileBlockedDoNotExtendTheBlock) {
  LoginRateLimiter limiter(1, seconds(60));
  limiter.RecordFailure("a", kT0);
  limiter.RecordFailure("a", kT0 + seconds(30));
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(30)), seconds(30));
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(60)), std::nullopt);
}

TEST(LoginRateLimiterTest, SuccessResets) {
  LoginRateLimiter limiter(3, seconds(60));
  limiter.RecordFailure("a", kT0);
  limiter.RecordFailure("a", kT0 + seconds(1));
  limiter.RecordSuccess("a");
  EXPECT_EQ(limiter.TrackedAddresses(), 0u);
  limiter.RecordFailure("a", kT0 + seconds(2));
  limiter.RecordFailure("a", kT0 + seconds(3));
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(3)), std::nullopt);  // 2 of 3, not 4
  limiter.RecordFailure("a", kT0 + seconds(4));
  EXPECT_TRUE(limiter.Check("a", kT0 + seconds(4)).has_value());
  limiter.RecordSuccess("a");
  EXPECT_EQ(limiter.Check("a", kT0 + seconds(5)), std::nullopt);
}

TEST(LoginRateLimiterTest, MemoryIsCapped) {
  LoginRateLimiter limiter(2, seconds(60), 100);
  // A blocked address, then a flood of distinct addresses.
  limiter.RecordFailure("victim", kT0);
  limiter.RecordFailure("victim", kT0);
  for (int i = 0; i < 1000; ++i) {
    limiter.RecordFailure("flood-" + std::to_string(i), kT0 + seconds(1) + milliseconds(i));
    ASSERT_LE(limiter.TrackedAddresses(), 100u);
  }
  EXPECT_EQ(limiter.TrackedAddresses(), 100u);
  // The oldest series were evicted first: the newest flood entries are all still there.
  limiter.RecordFailure("flood-999", kT0 + seconds(2));
  EXPECT_TRUE(limiter.Check("flood-999", kT0 + seconds(2)).has_value());
  EXPECT_EQ(limiter.Check("victim", kT0 + seconds(2)), std::nullopt);
}

TEST(LoginRateLimiterTest, StaleEntriesAreSweptBeforeEvictingLiveOnes) {
  LoginRateLimiter limiter(2, seconds(60), 10);
  for (int i = 0; i < 9; ++i) limiter.RecordFailure("old-" + std::to_string(i), kT0);
  limiter.RecordFailure("blocked", kT0 + seconds(30));
  limiter.RecordFailure("blocked", kT0 + seconds(30));
  ASSERT_EQ(limiter.TrackedAddresses(), 10u);
  // At kT0+61 the old series have expired; the block (until kT0+90) has not.
  limiter.RecordFailure("new", kT0 + seconds(61));
  EXPECT_EQ(limiter.TrackedAddresses(), 2u);
  EXPECT_EQ(limiter.Check("blocked", kT0 + seconds(61)), seconds(29));
}

TEST(LoginRateLimiterTest, RefusesNonsenseLimits) {
  EXPECT_THROW(LoginRateLimiter(0, seconds(60)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(5, seconds(0)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(5, seconds(60), 0), std::invalid_argument);
}

TEST(LoginRateLimiterTest, IsThreadSafe) {
  LoginRateLimiter limiter(1000, seconds(60), 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string address = "addr-" + std::to_string((i * 7 + t) % 80);
        (void)limiter.Check(address, kT0 + milliseconds(i));
        limiter.RecordFailure(address, kT0 + milliseconds(i));
        if (i % 13 == 0) limiter.RecordSuccess(address);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(limiter.TrackedAddresses(), 50u);
  EXPECT_GT(limiter.TrackedAddresses(), 0u);
}

}  // namespace
}  // namespace pacsport::auth
