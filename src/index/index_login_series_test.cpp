// Failed-login series in the index: the read-modify-write of a username's and an
// address's series, removal of empty ones and the bounded sweep
// (auth/login_rate_limiter.h holds the rules).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "index/index_test_util.h"

namespace pacsport {
namespace {

using auth::LoginSeries;

class LoginSeriesTest : public IndexTest {
 protected:
  // Adds one failure to both series, starting them at `now_ms`, stale `window_ms` later.
  void Fail(const std::string& username, const std::string& address, std::int64_t now_ms,
            std::int64_t window_ms = 1000) {
    const Status changed =
        index_->ChangeLoginSeries(username, address, [&](LoginSeries& user, LoginSeries& from) {
          for (auto [series, counterpart] : {std::pair{&user, address}, {&from, username}}) {
            if (series->failures == 0) {
              series->started_ms = now_ms;
              series->stale_at_ms = now_ms + window_ms;
            }
            ++series->failures;
            series->by_counterpart.emplace_back(counterpart, 1);
          }
        });
    ASSERT_TRUE(changed.ok()) << changed.error().message();
  }
  // The two series as a change sees them, left as they are.
  std::pair<LoginSeries, LoginSeries> Read(const std::string& username,
                                           const std::string& address) {
    std::pair<LoginSeries, LoginSeries> seen;
    EXPECT_TRUE(index_
                    ->ChangeLoginSeries(username, address,
                                        [&](LoginSeries& user, LoginSeries& from) {
                                          seen = {user, from};
                                        })
                    .ok());
    return seen;
  }
};

TEST_P(LoginSeriesTest, AChangeIsWrittenBackWhole) {
  ASSERT_TRUE(index_
                  ->ChangeLoginSeries("alice", "10.0.0.1",
                                      [](LoginSeries& user, LoginSeries& from) {
                                        EXPECT_EQ(user.failures, 0);
                                        EXPECT_EQ(from.failures, 0);
                                        user = {100, 200, 300, 2, {{"10.0.0.1", 1}, {"x", 1}}};
                                        from = {100, 0, 1100, 1, {{"alice", 1}}};
                                      })
                  .ok());
  const auto [user, from] = Read("alice", "10.0.0.1");
  EXPECT_EQ(user.started_ms, 100);
  EXPECT_EQ(user.blocked_until_ms, 200);
  EXPECT_EQ(user.stale_at_ms, 300);
  EXPECT_EQ(user.failures, 2);
  ASSERT_EQ(user.by_counterpart.size(), 2u);
  EXPECT_EQ(user.by_counterpart[1].first, "x");
  EXPECT_EQ(from.stale_at_ms, 1100);
  EXPECT_EQ(from.by_counterpart[0].first, "alice");
  // The same name as a username and as an address: two series.
  EXPECT_EQ(Read("10.0.0.1", "alice").first.failures, 0);
  EXPECT_EQ(index_->CountLoginSeries()->usernames, 1);
  EXPECT_EQ(index_->CountLoginSeries()->addresses, 1);
}

TEST_P(LoginSeriesTest, ASeriesWithoutFailuresIsRemoved) {
  Fail("alice", "a", 0);
  ASSERT_EQ(index_->CountLoginSeries()->usernames, 1);
  ASSERT_TRUE(index_
                  ->ChangeLoginSeries("alice", "a",
                                      [](LoginSeries& user, LoginSeries& from) {
                                        user = {};
                                        from = {};
                                      })
                  .ok());
  EXPECT_EQ(index_->CountLoginSeries()->usernames, 0);
  EXPECT_EQ(index_->CountLoginSeries()->addresses, 0);
}

// Concurrent read-modify-writes of one series lose no update.
TEST_P(LoginSeriesTest, ConcurrentChangesAreSerialized) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) Fail("alice", "addr-" + std::to_string(t), 0);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Read("alice", "addr-0").first.failures, kThreads * kEach);
  EXPECT_EQ(Read("alice", "addr-0").second.failures, kEach);
}

TEST_P(LoginSeriesTest, ASweepRemovesAtMostItsLimitOfStaleSeries) {
  for (int i = 0; i < 3; ++i) Fail("user-" + std::to_string(i), "a", i * 100, 1000);
  Fail("late", "b", 5000, 1000);
  // Stale at 1000, 1100, 1200 (the users), 1000 (address a); "late" and b at 6000.
  EXPECT_EQ(index_->SweepLoginSeries(1100, 2).ValueOrThrow(), 2);
  EXPECT_EQ(index_->SweepLoginSeries(1100, 2).ValueOrThrow(), 1);
  EXPECT_EQ(index_->SweepLoginSeries(1100, 2).ValueOrThrow(), 0);
  EXPECT_EQ(index_->CountLoginSeries()->usernames, 2);  // user-2 and late
  EXPECT_EQ(index_->CountLoginSeries()->addresses, 1);  // b
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(LoginSeriesTest);

}  // namespace
}  // namespace pacsport
