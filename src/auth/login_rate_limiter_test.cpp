#include "auth/login_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <stdexcept>
#include <thread>
#include <vector>

#include "index/index_test_util.h"

namespace pacsport::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SystemTime kT0{seconds(1'800'000'000)};

LoginLimits Limits(int per_username, int per_address) {
  return LoginLimits{
      .username_failures = per_username, .address_failures = per_address, .window = seconds(60)};
}

// The limiter over a fresh index; Admit and RecordSuccess as the routes use them.
class LoginRateLimiterTest : public IndexTest {
 protected:
  std::optional<seconds> Admit(LoginRateLimiter& limiter, const std::string& username,
                               const std::string& address, SystemTime now) {
    auto admitted = limiter.Admit(username, address, now);
    EXPECT_TRUE(admitted.ok()) << admitted.error().message();
    return admitted.ok() ? *admitted : std::nullopt;
  }
  void RecordSuccess(LoginRateLimiter& limiter, const std::string& username,
                     const std::string& address) {
    const Status recorded = limiter.RecordSuccess(username, address);
    EXPECT_TRUE(recorded.ok()) << recorded.error().message();
  }
  LoginSeriesCounts Tracked(const LoginRateLimiter& limiter) {
    return limiter.Tracked().ValueOrThrow();
  }
};

TEST_P(LoginRateLimiterTest, BlocksAUsernameAfterItsFailuresFromAnyAddresses) {
  LoginRateLimiter limiter(*index_, Limits(3, 100));
  for (int i = 0; i < 3; ++i) {  // the third admitted attempt reaches the limit
    EXPECT_EQ(Admit(limiter, "alice", "10.0.0." + std::to_string(i), kT0 + seconds(i)),
              std::nullopt);
  }
  EXPECT_EQ(Admit(limiter, "alice", "10.0.0.9", kT0 + seconds(2)), seconds(60));
  EXPECT_EQ(Admit(limiter, "alice", "10.0.0.9", kT0 + seconds(32)), seconds(30));
  EXPECT_EQ(Admit(limiter, "alice", "10.0.0.9", kT0 + seconds(61) + milliseconds(500)), seconds(1));
  // Other usernames from the same addresses are unaffected.
  EXPECT_EQ(Admit(limiter, "bob", "10.0.0.1", kT0 + seconds(3)), std::nullopt);
  // The block ends with its window.
  EXPECT_EQ(Admit(limiter, "alice", "10.0.0.9", kT0 + seconds(62)), std::nullopt);
}

TEST_P(LoginRateLimiterTest, BlocksAnAddressAfterItsFailuresAgainstAnyUsernames) {
  LoginRateLimiter limiter(*index_, Limits(100, 3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Admit(limiter, "user-" + std::to_string(i), "10.0.0.1", kT0), std::nullopt);
  }
  EXPECT_EQ(Admit(limiter, "someone-else", "10.0.0.1", kT0 + seconds(10)), seconds(50));
  EXPECT_EQ(Admit(limiter, "someone-else", "10.0.0.2", kT0 + seconds(10)), std::nullopt);
}

TEST_P(LoginRateLimiterTest, ARefusedAttemptIsNotCounted) {
  LoginRateLimiter limiter(*index_, Limits(2, 100));
  ASSERT_EQ(Admit(limiter, "alice", "a", kT0), std::nullopt);
  ASSERT_EQ(Admit(limiter, "alice", "a", kT0), std::nullopt);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Admit(limiter, "alice", "b", kT0).has_value());
  // "b" never got to try, so it has no failures of its own.
  EXPECT_EQ(Tracked(limiter).addresses, 1);
}

TEST_P(LoginRateLimiterTest, ASuccessTakesBackOnlyItsOwnUsernameFromItsOwnAddress) {
  LoginRateLimiter limiter(*index_, Limits(3, 3));
  ASSERT_EQ(Admit(limiter, "alice", "office", kT0), std::nullopt);  // failed
  ASSERT_EQ(Admit(limiter, "bob", "office", kT0), std::nullopt);    // failed
  ASSERT_EQ(Admit(limiter, "bob", "office", kT0), std::nullopt);    // admitted, succeeds:
  RecordSuccess(limiter, "bob", "office");
  // Alice's failure from the office still counts against the office and against her.
  ASSERT_EQ(Admit(limiter, "carol", "office", kT0), std::nullopt);
  ASSERT_EQ(Admit(limiter, "carol", "office", kT0), std::nullopt);  // office: 3 of 3
  EXPECT_TRUE(Admit(limiter, "dave", "office", kT0).has_value());
  ASSERT_EQ(Admit(limiter, "alice", "home", kT0), std::nullopt);  // alice: 2 of 3
  ASSERT_EQ(Admit(limiter, "alice", "cafe", kT0), std::nullopt);  // alice: 3 of 3
  EXPECT_TRUE(Admit(limiter, "alice", "library", kT0).has_value());
}

TEST_P(LoginRateLimiterTest, ASuccessLiftsABlockItsOwnAttemptCompleted) {
  LoginRateLimiter limiter(*index_, Limits(3, 100));
  ASSERT_EQ(Admit(limiter, "alice", "guesser", kT0), std::nullopt);
  ASSERT_EQ(Admit(limiter, "alice", "guesser", kT0), std::nullopt);
  ASSERT_EQ(Admit(limiter, "alice", "alice-pc", kT0), std::nullopt);  // blocks while in flight
  ASSERT_TRUE(Admit(limiter, "alice", "guesser", kT0).has_value());
  RecordSuccess(limiter, "alice", "alice-pc");
  // Back to the guesser's two failures: one more try, then blocked again.
  ASSERT_EQ(Admit(limiter, "alice", "guesser", kT0 + seconds(1)), std::nullopt);
  EXPECT_TRUE(Admit(limiter, "alice", "guesser", kT0 + seconds(1)).has_value());
}

TEST_P(LoginRateLimiterTest, FailuresSpreadBeyondTheWindowDoNotBlock) {
  LoginRateLimiter limiter(*index_, Limits(3, 3));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Admit(limiter, "slow", "a", kT0 + seconds(31 * i)), std::nullopt) << i;
  }
}

TEST_P(LoginRateLimiterTest, StaleSeriesAreSweptAndBlocksKept) {
  LoginRateLimiter limiter(*index_, Limits(2, 1000));
  for (int i = 0; i < 9; ++i)
    ASSERT_EQ(Admit(limiter, "old-" + std::to_string(i), "a", kT0), std::nullopt);
  ASSERT_EQ(Admit(limiter, "blocked", "a", kT0 + seconds(30)), std::nullopt);
  ASSERT_EQ(Admit(limiter, "blocked", "a", kT0 + seconds(30)), std::nullopt);
  ASSERT_EQ(Tracked(limiter).usernames, 10);
  // At kT0+61 the old series (and address a's) have expired; the block (until
  // kT0+90) has not.
  ASSERT_EQ(Admit(limiter, "new", "b", kT0 + seconds(61)), std::nullopt);
  EXPECT_EQ(Tracked(limiter).usernames, 2);
  EXPECT_EQ(Tracked(limiter).addresses, 1);
  EXPECT_EQ(Admit(limiter, "blocked", "b", kT0 + seconds(61)), seconds(29));
}

TEST_P(LoginRateLimiterTest, EachAttemptSweepsABoundedNumberOfStaleSeries) {
  LoginRateLimiter limiter(*index_, Limits(5, 1000));
  constexpr int kOld = LoginRateLimiter::kSweepBatch + 4;
  for (int i = 0; i < kOld; ++i) {
    ASSERT_EQ(Admit(limiter, "old-" + std::to_string(i), "a", kT0), std::nullopt);
  }
  ASSERT_EQ(Admit(limiter, "new", "b", kT0 + seconds(61)), std::nullopt);
  const LoginSeriesCounts left = Tracked(limiter);
  // kOld usernames and address a were stale; one batch of them went, "new" and b came.
  EXPECT_EQ(left.usernames + left.addresses, kOld + 1 - LoginRateLimiter::kSweepBatch + 2);
  ASSERT_EQ(Admit(limiter, "newer", "b", kT0 + seconds(61)), std::nullopt);
  EXPECT_EQ(Tracked(limiter).usernames, 2);
}

// Two replicas: two limiters, each over its own connection to one database.
TEST_P(LoginRateLimiterTest, ReplicasOnOneIndexShareTheLimits) {
  auto other_index = Open().ValueOrThrow();
  LoginRateLimiter here(*index_, Limits(3, 100));
  LoginRateLimiter there(*other_index, Limits(3, 100));
  ASSERT_EQ(Admit(here, "alice", "10.0.0.1", kT0), std::nullopt);
  ASSERT_EQ(Admit(there, "alice", "10.0.0.2", kT0), std::nullopt);
  ASSERT_EQ(Admit(here, "alice", "10.0.0.3", kT0), std::nullopt);  // the third: blocks
  EXPECT_EQ(Admit(there, "alice", "10.0.0.4", kT0 + seconds(1)), seconds(59));
  EXPECT_EQ(Admit(here, "alice", "10.0.0.4", kT0 + seconds(1)), seconds(59));
  // A restart forgets nothing.
  Reopen();
  LoginRateLimiter restarted(*index_, Limits(3, 100));
  EXPECT_EQ(Admit(restarted, "alice", "10.0.0.5", kT0 + seconds(2)), seconds(58));
}

TEST_P(LoginRateLimiterTest, RefusesNonsenseLimits) {
  EXPECT_THROW(LoginRateLimiter(*index_, Limits(0, 5)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(*index_, Limits(5, 0)), std::invalid_argument);
  EXPECT_THROW(LoginRateLimiter(*index_, LoginLimits{.window = seconds(0)}), std::invalid_argument);
}

// Many threads released at once against one username: exactly the limit get through,
// however the attempts interleave.
TEST_P(LoginRateLimiterTest, ConcurrentGuessesNeverExceedTheLimit) {
  constexpr int kThreads = 32;
  LoginRateLimiter limiter(*index_, Limits(5, 7));
  for (int round = 0; round < 3; ++round) {
    const std::string tag = "-" + std::to_string(round);
    std::atomic<int> admitted_username{0}, admitted_address{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // Half the threads guess alice from many addresses, half guess many users
        // from one address.
        if (t % 2 == 0) {
          if (!Admit(limiter, "alice" + tag, "10.0.0." + std::to_string(t) + tag, kT0)) {
            ++admitted_username;
          }
        } else {
          if (!Admit(limiter, "user-" + std::to_string(t) + tag, "10.9.9.9" + tag, kT0)) {
            ++admitted_address;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(admitted_username.load(), 5);
    EXPECT_EQ(admitted_address.load(), 7);
  }
}

TEST_P(LoginRateLimiterTest, IsThreadSafeUnderMixedLoad) {
  LoginRateLimiter limiter(*index_, Limits(1000, 1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string user = "user-" + std::to_string((i * 7 + t) % 80);
        const std::string address = "addr-" + std::to_string((i * 3 + t) % 90);
        if (!Admit(limiter, user, address, kT0 + milliseconds(i)) && i % 13 == 0) {
          RecordSuccess(limiter, user, address);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const LoginSeriesCounts tracked = Tracked(limiter);
  EXPECT_LE(tracked.usernames, 80);
  EXPECT_LE(tracked.addresses, 90);
  EXPECT_GT(tracked.addresses, 0);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(LoginRateLimiterTest);

}  // namespace
}  // namespace pacsport::auth
