#include "auth/login_rate_limiter.h"

#include <algorithm>
#include <stdexcept>

namespace pacsport::auth {

LoginRateLimiter::LoginRateLimiter(int max_failures, std::chrono::seconds window,
                                   std::size_t max_addresses)
    : max_failures_(max_failures), window_(window), max_addresses_(max_addresses) {
  if (max_failures < 1 || window <= std::chrono::seconds(0) || max_addresses < 1) {
    throw std::invalid_argument("LoginRateLimiter needs max_failures, window and cap > 0");
  }
}

bool LoginRateLimiter::IsStale(const Entry& entry, SystemTime now) const {
  if (entry.blocked_until) return now >= *entry.blocked_until;
  return now >= entry.series_start + window_;
}

std::optional<std::chrono::seconds> LoginRateLimiter::Check(const std::string& address,
                                                            SystemTime now) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(address);
  if (it == entries_.end()) return std::nullopt;
  if (IsStale(it->second, now)) {
    entries_.erase(it);
    return std::nullopt;
  }
  if (!it->second.blocked_until) return std::nullopt;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(*it->second.blocked_until - now);
  return std::max(wait, std::chrono::seconds(1));
}

void LoginRateLimiter::RecordFailure(const std::string& address, SystemTime now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(address);
  if (it != entries_.end() && IsStale(it->second, now)) {
    it->second = Entry{};
  } else if (it == entries_.end()) {
    if (entries_.size() >= max_addresses_) EvictForInsert(now);
    it = entries_.emplace(address, Entry{}).first;
  }
  Entry& entry = it->second;
  if (entry.blocked_until) return;  // already blocked: the block is not extended
  if (entry.failures == 0) entry.series_start = now;
  if (++entry.failures >= max_failures_) entry.blocked_until = now + window_;
}

void LoginRateLimiter::RecordSuccess(const std::string& address) {
  std::lock_guard lock(mutex_);
  entries_.erase(address);
}

std::size_t LoginRateLimiter::TrackedAddresses() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void LoginRateLimiter::EvictForInsert(SystemTime now) {
  std::erase_if(entries_, [&](const auto& item) { return IsStale(item.second, now); });
  if (entries_.size() < max_addresses_) return;
  const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a,
                                                                           const auto& b) {
    return a.second.series_start < b.second.series_start;
  });
  entries_.erase(oldest);
}

}  // namespace pacsport::auth
