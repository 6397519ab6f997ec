// Failed-login throttling per client address, against online password guessing.
//
// Each address may fail `max_failures` times; the failure that reaches the limit
// blocks the address for `window` from that moment. Failures older than `window`
// (counted from the first failure of the current series) are forgotten, and a
// successful login forgets the address at once. The caller decides what an
// "address" is (an IP, an IPv6 /64, a username...).
//
// State lives in this process's memory: it is a cache by design, not shared state.
// Each replica keeps its own counts, so with N replicas behind a balancer an address
// may get up to N * max_failures tries per window; a restart forgets every block.
//
// Memory is bounded: at most `max_addresses` addresses are tracked. When a new address
// would exceed the cap, entries whose window has passed are swept first; if none has,
// the entry with the oldest series is evicted (so a flood of addresses can at worst
// shorten other addresses' blocks, never grow memory or block innocent addresses).
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

#include "core/clock.h"

namespace pacsport::auth {

class LoginRateLimiter {
 public:
  // Requires max_failures >= 1, window > 0 and max_addresses >= 1, else throws
  // std::invalid_argument.
  explicit LoginRateLimiter(int max_failures = 5,
                            std::chrono::seconds window = std::chrono::seconds(60),
                            std::size_t max_addresses = 10000);

  // nullopt when `address` may try to log in now; otherwise the time until it may,
  // rounded up to whole seconds (at least 1), for a Retry-After header.
  std::optional<std::chrono::seconds> Check(const std::string& address, SystemTime now);
  void RecordFailure(const std::string& address, SystemTime now);
  void RecordSuccess(const std::string& address);

  // How many addresses are currently tracked (for tests and metrics).
  std::size_t TrackedAddresses() const;

 private:
  struct Entry {
    int failures = 0;
    SystemTime series_start;  // the first failure of the current series
    std::optional<SystemTime> blocked_until;
  };

  bool IsStale(const Entry& entry, SystemTime now) const;
  // Makes room for one new address. Requires mutex_ held.
  void EvictForInsert(SystemTime now);

  const int max_failures_;
  const std::chrono::seconds window_;
  const std::size_t max_addresses_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // Protected by mutex_
};

}  // namespace pacsport::auth
