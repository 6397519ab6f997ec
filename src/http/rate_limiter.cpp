#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace pacsport::http {

RateLimiter::RateLimiter(RateLimit limit, size_t max_keys) : limit_(limit), max_keys_(max_keys) {}

double RateLimiter::Refilled(const Bucket& bucket, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  return std::min(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.per_second);
}

std::optional<std::chrono::seconds> RateLimiter::Take(const std::string& key,
                                                      Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_,
                    [&](const auto& entry) { return Refilled(entry.second, now) >= limit_.burst; });
    }
    if (buckets_.size() >= max_keys_) return std::chrono::seconds(1);
    it = buckets_.emplace(key, Bucket{limit_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  const double wait = (1 - bucket.tokens) / limit_.per_second;
  return std::chrono::seconds(std::max<std::int64_t>(1, std::llround(std::ceil(wait))));
}

}  // namespace pacsport::http
