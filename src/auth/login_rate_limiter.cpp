#include "auth/login_rate_limiter.h"

#include <algorithm>
#include <stdexcept>

namespace pacsport::auth {
namespace {

LoginLimits Validated(LoginLimits limits) {
  if (limits.username_failures < 1 || limits.address_failures < 1 ||
      limits.window <= std::chrono::seconds(0) || limits.max_tracked < 1) {
    throw std::invalid_argument("LoginRateLimiter needs limits, window and cap > 0");
  }
  return limits;
}

}  // namespace

LoginRateLimiter::FailureTable::FailureTable(int limit, std::chrono::seconds window,
                                             std::size_t max_keys)
    : limit_(limit), window_(window), max_keys_(max_keys) {}

bool LoginRateLimiter::FailureTable::IsStale(const Series& series, SystemTime now) const {
  if (series.blocked_until) return now >= *series.blocked_until;
  return now >= series.start + window_;
}

std::chrono::nanoseconds LoginRateLimiter::FailureTable::BlockedFor(const std::string& key,
                                                                    SystemTime now) {
  const auto it = series_.find(key);
  if (it == series_.end()) return {};
  if (IsStale(it->second, now)) {
    series_.erase(it);
    return {};
  }
  if (!it->second.blocked_until) return {};
  return *it->second.blocked_until - now;
}

void LoginRateLimiter::FailureTable::AddFailure(const std::string& key,
                                                const std::string& counterpart, SystemTime now) {
  auto it = series_.find(key);
  if (it != series_.end() && IsStale(it->second, now)) {
    it->second = Series{};
  } else if (it == series_.end()) {
    if (series_.size() >= max_keys_) EvictForInsert(now);
    it = series_.emplace(key, Series{}).first;
  }
  Series& series = it->second;
  if (series.blocked_until) return;  // already blocked: the block is not extended
  if (series.failures == 0) series.start = now;
  ++series.failures;
  auto& counts = series.by_counterpart;
  const auto found = std::find_if(counts.begin(), counts.end(),
                                  [&](const auto& item) { return item.first == counterpart; });
  if (found == counts.end()) {
    counts.emplace_back(counterpart, 1);
  } else {
    ++found->second;
  }
  if (series.failures >= limit_) series.blocked_until = now + window_;
}

void LoginRateLimiter::FailureTable::ForgetFailures(const std::string& key,
                                                    const std::string& counterpart) {
  const auto it = series_.find(key);
  if (it == series_.end()) return;
  Series& series = it->second;
  auto& counts = series.by_counterpart;
  const auto found = std::find_if(counts.begin(), counts.end(),
                                  [&](const auto& item) { return item.first == counterpart; });
  if (found == counts.end()) return;
  series.failures -= found->second;
  counts.erase(found);
  if (series.failures == 0) {
    series_.erase(it);
  } else if (series.failures < limit_) {
    series.blocked_until.reset();
  }
}

void LoginRateLimiter::FailureTable::EvictForInsert(SystemTime now) {
  std::erase_if(series_, [&](const auto& item) { return IsStale(item.second, now); });
  if (series_.size() < max_keys_) return;
  // Oldest first, unblocked keys before blocked ones.
  const auto victim =
      std::min_element(series_.begin(), series_.end(), [](const auto& a, const auto& b) {
        const bool a_blocked = a.second.blocked_until.has_value();
        const bool b_blocked = b.second.blocked_until.has_value();
        if (a_blocked != b_blocked) return b_blocked;
        return a.second.start < b.second.start;
      });
  series_.erase(victim);
}

LoginRateLimiter::LoginRateLimiter(LoginLimits limits)
    : usernames_(Validated(limits).username_failures, limits.window, limits.max_tracked),
      addresses_(limits.address_failures, limits.window, limits.max_tracked) {}

std::optional<std::chrono::seconds> LoginRateLimiter::Admit(const std::string& username,
                                                            const std::string& address,
                                                            SystemTime now) {
  std::lock_guard lock(mutex_);
  const auto wait =
      std::max(usernames_.BlockedFor(username, now), addresses_.BlockedFor(address, now));
  if (wait > std::chrono::nanoseconds(0)) {
    return std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds(1));
  }
  usernames_.AddFailure(username, address, now);
  addresses_.AddFailure(address, username, now);
  return std::nullopt;
}

void LoginRateLimiter::RecordSuccess(const std::string& username, const std::string& address) {
  std::lock_guard lock(mutex_);
  usernames_.ForgetFailures(username, address);
  addresses_.ForgetFailures(address, username);
}

std::size_t LoginRateLimiter::TrackedUsernames() const {
  std::lock_guard lock(mutex_);
  return usernames_.size();
}

std::size_t LoginRateLimiter::TrackedAddresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

}  // namespace pacsport::auth
