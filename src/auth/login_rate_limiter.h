// Failed-login throttling against online password guessing, per username and per
// client address at once.
//
// Every login attempt is admitted (or refused) by Admit, which counts it as a failure
// of its username and of its address in the same critical section: N parallel
// guesses can never all slip past a check made before any of them is counted. A
// username may fail `username_failures` times (from any addresses) and an address
// `address_failures` times (against any usernames); the failure that reaches a limit
// blocks that username or address for `window` from that moment. Failures older than
// `window` (counted from the first failure of the current series) are forgotten.
// RecordSuccess takes back only the failures of that username from that address
// (the attempt that just succeeded among them): failures against other usernames,
// or against this one from elsewhere, still count.
//
// Blocking a username is also what lets anyone lock its owner out for `window` by
// failing on purpose; that is the price of stopping a guesser who spreads over many
// addresses, and why the window is short.
//
// State lives in this process's memory: it is a cache by design, not shared state.
// Each replica keeps its own counts, so with N replicas behind a balancer a guesser
// may get up to N times the limits per window; a restart forgets every block.
//
// Memory is bounded: each table tracks at most `max_tracked` keys, and each key
// remembers at most its limit of counterparts (the failures that block it). When a
// new key would exceed the cap, keys whose window has passed are swept first; then
// the unblocked key with the oldest series is evicted, and only when every key is
// blocked the oldest blocked one. A flood of keys can at worst shorten other keys'
// counts, never grow memory or block innocent keys. Keys are used as given: the
// caller bounds their length.
//
// Thread-safe: every method takes one internal mutex. Times are passed in by the
// caller (tests use a fake clock).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace pacsport::auth {

struct LoginLimits {
  int username_failures = 5;  // per username, from any address
  int address_failures = 20;  // per address, against any usernames (a hospital's NAT)
  std::chrono::seconds window{60};
  std::size_t max_tracked = 10000;  // per table
};

class LoginRateLimiter {
 public:
  // Requires both failure limits >= 1, window > 0 and max_tracked >= 1, else throws
  // std::invalid_argument.
  explicit LoginRateLimiter(LoginLimits limits = {});

  // nullopt when `username` may try to log in from `address` now; the attempt is then
  // already counted as a failure of both. Otherwise nothing is counted and the answer
  // is the time until both are free, rounded up to whole seconds (at least 1), for a
  // Retry-After header.
  std::optional<std::chrono::seconds> Admit(const std::string& username, const std::string& address,
                                            SystemTime now);

  // The admitted attempt of `username` from `address` succeeded: forgets the failures
  // of that username from that address (and lifts a block they alone completed).
  void RecordSuccess(const std::string& username, const std::string& address);

  // How many usernames and addresses are currently tracked (for tests and metrics).
  std::size_t TrackedUsernames() const;
  std::size_t TrackedAddresses() const;

 private:
  // One key's current series of failures, by counterpart (the address for a
  // username, the username for an address).
  struct Series {
    SystemTime start;
    std::optional<SystemTime> blocked_until;
    int failures = 0;
    std::vector<std::pair<std::string, int>> by_counterpart;  // at most `limit` items
  };

  // Failures per key under one limit. Not locked itself: the limiter's mutex guards it.
  class FailureTable {
   public:
    FailureTable(int limit, std::chrono::seconds window, std::size_t max_keys);
    // The time until `key` is unblocked, 0 when it is not blocked.
    std::chrono::nanoseconds BlockedFor(const std::string& key, SystemTime now);
    void AddFailure(const std::string& key, const std::string& counterpart, SystemTime now);
    void ForgetFailures(const std::string& key, const std::string& counterpart);
    std::size_t size() const { return series_.size(); }

   private:
    bool IsStale(const Series& series, SystemTime now) const;
    void EvictForInsert(SystemTime now);

    const int limit_;
    const std::chrono::seconds window_;
    const std::size_t max_keys_;
    std::unordered_map<std::string, Series> series_;
  };

  mutable std::mutex mutex_;
  FailureTable usernames_;  // Protected by mutex_
  FailureTable addresses_;  // Protected by mutex_
};

}  // namespace pacsport::auth
