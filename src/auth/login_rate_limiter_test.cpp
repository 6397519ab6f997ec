#include "auth/login_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pacsport::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SystemTime kT0{seconds(1'800'000'000)};

LoginLimits Limits(int per_username, int per_address, std::size_t max_tracked = 10000) {
  return LoginLimits{.username_failures = per_username,
                     .address_failures = per_address,
                     .window = seconds(60),
                     .max_tracked = max_tracked};
}

TEST(LoginRateLimiterTest, BlocksAUsernameAfterItsFailuresFromAnyAddresses) {
  LoginRateLimiter limiter(Limits(3, 100));
  for (int i = 0; i < 3; ++i) {  // the third admitted attempt reaches the limit
    EXPECT_EQ(limiter.Admit("alice", "10.0.0." + std::to_string(i), kT0 + seconds(i)), std::nullopt);
  }
  EXPECT_EQ(limiter.Admit("alice", "10.0.0.9", kT0 + seconds(2)), seconds(60));
  EXPECT_EQ(limiter.Admit("alice", "10.0.0.9", kT0 + seconds(32)), seconds(30));
  EXPECT_EQ(limiter.Admit("alice", "10.0.0.9", kT0 + seconds(61) + milliseconds(500)), seconds(1));
  // Other usernames from the same addresses are unaffected.
  EXPECT_EQ(limiter.Admit("bob", "10.0.0.1", kT0 + seconds(3)), std::nullopt);
  // The block ends with its window.
  EXPECT_EQ(limiter.Admit("alice", "10.0.0.9", kT0 + seconds(62)), std::nullopt);
}

TEST(LoginRateLimiterTest, BlocksAnAddressAfterItsFailuresAgainstAnyUsernames) {
  LoginRateLimiter limiter(Limits(100, 3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.Admit("user-" + std::to_string(i), "10.0.0.1", kT0), std::nullopt);
  }
  EXPECT_EQ(limiter.Admit("someone-else", "10.0.0.1", kT0 + seconds(10)), seconds(50));
  EXPECT_EQ(limiter.Admit("someone-else", "10.0.0.2", kT0 + seconds(10)), std::nullopt);
}

TEST(LoginRateLimiterTest, ARefusedAttemptIsNotCounted) {
  LoginRateLimiter limiter(Limits(2, 100));
  ASSERT_EQ(limiter.Admit("alice", "a", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("alice", "a", kT0), std::nullopt);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.Admit("alice", "b", kT0).has_value());
  // "b" never got to try, so it has no failures of its own.
  EXPECT_EQ(limiter.TrackedAddresses(), 1u);
}

TEST(LoginRateLimiterTest, ASuccessTakesBackOnlyItsOwnUsernameFromItsOwnAddress) {
  LoginRateLimiter limiter(Limits(3, 3));
  ASSERT_EQ(limiter.Admit("alice", "office", kT0), std::nullopt);  // failed
  ASSERT_EQ(limiter.Admit("bob", "office", kT0), std::nullopt);    // failed
  ASSERT_EQ(limiter.Admit("bob", "office", kT0), std::nullopt);    // admitted, succeeds:
  limiter.RecordSuccess("bob", "office");
  // Alice's failure from the office still counts against the office and against her.
  ASSERT_EQ(limiter.Admit("carol", "office", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("carol", "office", kT0), std::nullopt);  // office: 3 of 3
  EXPECT_TRUE(limiter.Admit("dave", "office", kT0).has_value());
  ASSERT_EQ(limiter.Admit("alice", "home", kT0), std::nullopt);  // alice: 2 of 3
  ASSERT_EQ(limiter.Admit("alice", "cafe", kT0), std::nullopt);  // alice: 3 of 3
  EXPECT_TRUE(limiter.Admit("alice", "library", kT0).has_value());
}

TEST(LoginRateLimiterTest, ASuccessLiftsABlockItsOwnAttemptCompleted) {
  LoginRateLimiter limiter(Limits(3, 100));
  ASSERT_EQ(limiter.Admit("alice", "guesser", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("alice", "guesser", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("alice", "alice-pc", kT0), std::nullopt);  // blocks while in flight
  ASSERT_TRUE(limiter.Admit("alice", "guesser", kT0).has_value());
  limiter.RecordSuccess("alice", "alice-pc");
  // Back to the guesser's two failures: one more try, then blocked again.
  ASSERT_EQ(limiter.Admit("alice", "guesser", kT0 + seconds(1)), std::nullopt);
  EXPECT_TRUE(limiter.Admit("alice", "guesser", kT0 + seconds(1)).has_value());
}

TEST(LoginRateLimiterTest, FailuresSpreadBeyondTheWindowDoNotBlock) {
  LoginRateLimiter limiter(Limits(3, 3));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.Admit("slow", "a", kT0 + seconds(31 * i)), std::nullopt) << i;
  }
}

TEST(LoginRateLimiterTest, MemoryIsCappedAndBlocksAreEvictedLast) {
  LoginRateLimiter limiter(Limits(2, 1000000, 100));
  ASSERT_EQ(limiter.Admit("victim", "a", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("victim", "b", kT0), std::nullopt);  // blocked until kT0+60
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "flood-" + std::to_string(i);
    ASSERT_EQ(limiter.Admit(name, "flooder-" + std::to_string(i), kT0 + milliseconds(i)),
              std::nullopt);
    ASSERT_LE(limiter.TrackedUsernames(), 100u);
    ASSERT_LE(limiter.TrackedAddresses(), 100u);
  }
  EXPECT_EQ(limiter.TrackedUsernames(), 100u);
  // The flood evicted its own unblocked entries, oldest first, not the block.
  EXPECT_TRUE(limiter.Admit("victim", "c", kT0 + seconds(2)).has_value());
  EXPECT_EQ(limiter.Admit("flood-999", "x", kT0 + seconds(2)), std::nullopt);
}

TEST(LoginRateLimiterTest, StaleEntriesAreSweptBeforeEvictingLiveOnes) {
  LoginRateLimiter limiter(Limits(2, 1000, 10));
  for (int i = 0; i < 9; ++i) ASSERT_EQ(limiter.Admit("old-" + std::to_string(i), "a", kT0), std::nullopt);
  ASSERT_EQ(limiter.Admit("blocked", "a", kT0 + seconds(30)), std::nullopt);
  ASSERT_EQ(limiter.Admit("blocked", "a", kT0 + seconds(30)), std::nullopt);
  ASSERT_EQ(limiter.TrackedUsernames(), 10u);
  // At kT0+61 the old series have expired; the block (until kT0+90) has not.
  ASSERT_EQ(limiter.Admit("new", "b", kT0 + seconds(61)), std::nullopt);
  EXPECT_EQ(limiter.TrackedUsernames(), 2u);
  EXPECT_EQ(limiter.Admit("blocked", "b", kT0 + seconds(61)), seconds(29));
}

TEST(LoginRateLimiterTest, RefusesNonsenseLimits) {
  EXPECT_THROW(LoginRateLimiter(Limits(0, 5)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(Limits(5, 0)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(Limits(5, 5, 0)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(LoginLimits{.window = seconds(0)}), std::invalid_argument);
}

// Many threads released at once against one username: exactly the limit get through,
// however the attempts interleave.
TEST(LoginRateLimiterTest, ConcurrentGuessesNeverExceedTheLimit) {
  constexpr int kThreads = 64;
  for (int round = 0; round < 20; ++round) {
    LoginRateLimiter limiter(Limits(5, 7));
    std::atomic<int> admitted_username{0}, admitted_address{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // Half the threads guess alice from many addresses, half guess many users
        // from one address.
        if (t % 2 == 0) {
          if (!limiter.Admit("alice", "10.0.0." + std::to_string(t), kT0)) ++admitted_username;
        } else {
          if (!limiter.Admit("user-" + std::to_string(t), "10.9.9.9", kT0)) ++admitted_address;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(admitted_username.load(), 5);
    EXPECT_EQ(admitted_address.load(), 7);
  }
}

TEST(LoginRateLimiterTest, IsThreadSafeUnderMixedLoad) {
  LoginRateLimiter limiter(Limits(1000, 1000, 50));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string user = "user-" + std::to_string((i * 7 + t) % 80);
        const std::string address = "addr-" + std::to_string((i * 3 + t) % 90);
        if (!limiter.Admit(user, address, kT0 + milliseconds(i)) && i % 13 == 0) {
          limiter.RecordSuccess(user, address);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(limiter.TrackedUsernames(), 50u);
  EXPECT_LE(limiter.TrackedAddresses(), 50u);
  EXPECT_GT(limiter.TrackedAddresses(), 0u);
}

}  // namespace
}  // namespace pacsport::auth
