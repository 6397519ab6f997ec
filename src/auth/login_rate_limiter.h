// Failed-login throttling against online password guessing, per username and per
// client address at once.
//
// Every login attempt is admitted (or refused) by Admit, which counts it as a failure
// of its username and of its address in the same write transaction that checks them:
// N parallel guesses can never all slip past a check made before any of them is
// counted. A username may fail `username_failures` times (from any addresses) and an
// address `address_failures` times (against any usernames); the failure that reaches
// a limit blocks that username or address for `window` from that moment. Failures
// older than `window` (counted from the first failure of the current series) are
// forgotten. RecordSuccess takes back only the failures of that username from that
// address (the attempt that just succeeded among them): failures against other
// usernames, or against this one from elsewhere, still count.
//
// Blocking a username is also what lets anyone lock its owner out for `window` by
// failing on purpose; that is the price of stopping a guesser who spreads over many
// addresses, and why the window is short.
//
// The counts live in a LoginSeriesStore, the index in the server, shared by every
// replica on it: N replicas behind a balancer enforce one set of limits, and a
// restart forgets nothing (docs/decisions/0023-shared-links-and-login-limits.md).
// This class holds the rules; the store keeps the series and makes each change atomic.
//
// The table is bounded: each Admit removes a few series whose window has passed
// (kSweepBatch), more than it can add, and each series remembers at most its limit
// of counterparts (the failures that block it). Keys are used as given: the caller
// bounds their length.
//
// Thread-safe. Times are passed in by the caller (tests use a fake clock); they are
// wall-clock times, comparable across processes.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "auth/login_series_store.h"
#include "core/clock.h"
#include "core/error.h"

namespace pacsport::auth {

struct LoginLimits {
  int username_failures = 5;  // per username, from any address
  int address_failures = 20;  // per address, against any usernames (a hospital's NAT)
  std::chrono::seconds window{60};
};

class LoginRateLimiter {
 public:
  // Stale series each Admit removes at most.
  static constexpr std::int64_t kSweepBatch = 16;

  // Requires both failure limits >= 1 and window > 0, else throws
  // std::invalid_argument. `store` must outlive the limiter.
  explicit LoginRateLimiter(LoginSeriesStore& store, LoginLimits limits = {});

  // nullopt when `username` may try to log in from `address` now; the attempt is then
  // already counted as a failure of both. Otherwise nothing is counted and the answer
  // is the time until both are free, rounded up to whole seconds (at least 1), for a
  // Retry-After header. kUnavailable when the store is.
  Result<std::optional<std::chrono::seconds>> Admit(const std::string& username,
                                                    const std::string& address, SystemTime now);

  // The admitted attempt of `username` from `address` succeeded: forgets the failures
  // of that username from that address (and lifts a block they alone completed).
  Status RecordSuccess(const std::string& username, const std::string& address);

  // How many usernames and addresses have a series (for tests and metrics).
  Result<LoginSeriesCounts> Tracked() const;

 private:
  LoginSeriesStore& store_;
  const LoginLimits limits_;
};

}  // namespace pacsport::auth
