#include "auth/login_rate_limiter.h"

#include <algorithm>
#include <stdexcept>

namespace pacsport::auth {
namespace {

using std::chrono::milliseconds;

LoginLimits Validated(LoginLimits limits) {
  if (limits.username_failures < 1 || limits.address_failures < 1 ||
      limits.window <= std::chrono::seconds(0)) {
    throw std::invalid_argument("LoginRateLimiter needs limits and a window > 0");
  }
  return limits;
}

std::int64_t Millis(SystemTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// The rules for one username's or one address's series, under one limit.
class SeriesRules {
 public:
  SeriesRules(int limit, std::chrono::seconds window)
      : limit_(limit), window_ms_(milliseconds(window).count()) {}

  // Forgets `series` once its window (or its block) has passed.
  static void ForgetIfStale(LoginSeries& series, std::int64_t now_ms) {
    if (series.failures > 0 && now_ms >= series.stale_at_ms) series = LoginSeries{};
  }

  // The time until `series` is unblocked, 0 when it is not blocked. Requires: not stale.
  static std::int64_t BlockedForMs(const LoginSeries& series, std::int64_t now_ms) {
    return series.blocked_until_ms > 0 ? series.blocked_until_ms - now_ms : 0;
  }

  // Counts a failure against `counterpart`. Requires: not stale, not blocked.
  void AddFailure(LoginSeries& series, const std::string& counterpart, std::int64_t now_ms) const {
    if (series.failures == 0) {
      series.started_ms = now_ms;
      series.stale_at_ms = now_ms + window_ms_;
    }
    ++series.failures;
    auto& counts = series.by_counterpart;
    const auto found = std::find_if(counts.begin(), counts.end(),
                                    [&](const auto& item) { return item.first == counterpart; });
    if (found == counts.end()) {
      counts.emplace_back(counterpart, 1);
    } else {
      ++found->second;
    }
    if (series.failures >= limit_) Block(series, now_ms + window_ms_);
  }

  // Takes back the failures against `counterpart`, lifting a block they completed.
  void ForgetFailures(LoginSeries& series, const std::string& counterpart) const {
    auto& counts = series.by_counterpart;
    const auto found = std::find_if(counts.begin(), counts.end(),
                                    [&](const auto& item) { return item.first == counterpart; });
    if (found == counts.end()) return;
    series.failures -= found->second;
    counts.erase(found);
    if (series.failures == 0) {
      series = LoginSeries{};
    } else if (series.failures < limit_ && series.blocked_until_ms > 0) {
      series.blocked_until_ms = 0;
      series.stale_at_ms = series.started_ms + window_ms_;
    }
  }

 private:
  static void Block(LoginSeries& series, std::int64_t until_ms) {
    series.blocked_until_ms = until_ms;
    series.stale_at_ms = until_ms;
  }

  const int limit_;
  const std::int64_t window_ms_;
};

}  // namespace

LoginRateLimiter::LoginRateLimiter(LoginSeriesStore& store, LoginLimits limits)
    : store_(store), limits_(Validated(limits)) {}

Result<std::optional<std::chrono::seconds>> LoginRateLimiter::Admit(const std::string& username,
                                                                    const std::string& address,
                                                                    SystemTime now) {
  const SeriesRules username_rules(limits_.username_failures, limits_.window);
  const SeriesRules address_rules(limits_.address_failures, limits_.window);
  const std::int64_t now_ms = Millis(now);
  std::optional<std::chrono::seconds> refused;
  const Status counted =
      store_.ChangeLoginSeries(username, address, [&](LoginSeries& user, LoginSeries& from) {
        refused.reset();  // the change may run again when the index retries it
        SeriesRules::ForgetIfStale(user, now_ms);
        SeriesRules::ForgetIfStale(from, now_ms);
        const std::int64_t wait_ms = std::max(SeriesRules::BlockedForMs(user, now_ms),
                                              SeriesRules::BlockedForMs(from, now_ms));
        if (wait_ms > 0) {
          refused = std::max(std::chrono::ceil<std::chrono::seconds>(milliseconds(wait_ms)),
                             std::chrono::seconds(1));
          return;
        }
        username_rules.AddFailure(user, address, now_ms);
        address_rules.AddFailure(from, username, now_ms);
      });
  if (!counted.ok()) return counted.error();
  // Best effort: what this call leaves stale, a later one sweeps.
  (void)store_.SweepLoginSeries(now_ms, kSweepBatch);
  return refused;
}

Status LoginRateLimiter::RecordSuccess(const std::string& username, const std::string& address) {
  const SeriesRules username_rules(limits_.username_failures, limits_.window);
  const SeriesRules address_rules(limits_.address_failures, limits_.window);
  return store_.ChangeLoginSeries(username, address, [&](LoginSeries& user, LoginSeries& from) {
    username_rules.ForgetFailures(user, address);
    address_rules.ForgetFailures(from, username);
  });
}

Result<LoginSeriesCounts> LoginRateLimiter::Tracked() const { return store_.CountLoginSeries(); }

}  // namespace pacsport::auth
