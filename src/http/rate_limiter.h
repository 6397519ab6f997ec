// RateLimiter: a token bucket per key (a client address, a user), for answering
// "429, retry after N s" to whoever sends more than `per_second` requests on average,
// with bursts of up to `burst`. Memory is bounded: at most `max_keys` buckets are kept;
// when full, buckets that have refilled completely are forgotten (they hold no state),
// and a new key that still finds no room is refused as if its bucket were empty.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace pacsport::http {

struct RateLimit {
  double per_second = 10;  // > 0
  double burst = 30;       // >= 1
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit, size_t max_keys = 65536);

  // Takes one token from `key`'s bucket. Nothing when it had one; otherwise how long
  // until it will (at least one second).
  std::optional<std::chrono::seconds> Take(const std::string& key,
                                           Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  double Refilled(const Bucket& bucket, Clock::time_point now) const;

  const RateLimit limit_;
  const size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;  // Protected by mutex_
};

}  // namespace pacsport::http
