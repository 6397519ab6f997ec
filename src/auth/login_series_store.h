// LoginSeriesStore: where LoginRateLimiter (login_rate_limiter.h) keeps its counts of
// failed logins. The index is one (Index implements it), so that every replica on one
// index shares them; the rules stay in the limiter.
//
// Implementations are thread-safe and answer kUnavailable when their storage is down.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pacsport::auth {

// One username's or one address's current series of failed logins; times in
// milliseconds since the Unix epoch. A series without failures is none: it is removed.
struct LoginSeries {
  std::int64_t started_ms = 0;
  std::int64_t blocked_until_ms = 0;  // 0: not blocked
  std::int64_t stale_at_ms = 0;       // from then on it is forgotten
  std::int64_t failures = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_counterpart;  // by address or username
};

// Changes the series of one username and of one address together.
using LoginSeriesChange = std::function<void(LoginSeries& username, LoginSeries& address)>;

struct LoginSeriesCounts {
  std::int64_t usernames = 0;
  std::int64_t addresses = 0;
};

class LoginSeriesStore {
 public:
  virtual ~LoginSeriesStore() = default;

  // Atomically against every other call, from any process: reads the series of
  // `username` and of `address` (empty when none), lets `change` change them and
  // writes them back. `change` may run more than once when the store retries.
  virtual Status ChangeLoginSeries(const std::string& username, const std::string& address,
                                   const LoginSeriesChange& change) = 0;
  // Removes at most `limit` series stale at `now_ms`; returns how many.
  virtual Result<std::int64_t> SweepLoginSeries(std::int64_t now_ms, std::int64_t limit) = 0;
  // How many series are kept, stale ones not yet swept included.
  virtual Result<LoginSeriesCounts> CountLoginSeries() = 0;
};

}  // namespace pacsport::auth
