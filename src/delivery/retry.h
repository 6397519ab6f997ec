// Retries of a step that may fail for a while (a network call): up to `attempts`
// tries, pausing `first_pause`, then twice as long each time up to `max_pause`, with
// up to a quarter of random jitter so that many jobs do not retry in step. Only
// kUnavailable is retried; any other error, and success, end at once. A requested
// stop ends the pause and the retries.
#pragma once

#include <chrono>
#include <stop_token>

#include "core/error.h"

namespace pacsport::delivery {

struct RetryPolicy {
  int attempts = 5;
  std::chrono::milliseconds first_pause{500};
  std::chrono::milliseconds max_pause{8000};
};

// Runs `step` (returning a Status or a Result) until it succeeds or its error is
// final; the last outcome is returned.
template <typename Step>
auto Retry(const RetryPolicy& policy, std::stop_token stop, Step&& step) -> decltype(step());

// Sleeps `pause` or until `stop` is requested; false when it was.
bool PauseUnlessStopped(std::chrono::milliseconds pause, std::stop_token stop);
// The pause before retry number `retry` (1 for the first), jitter included.
std::chrono::milliseconds PauseBefore(const RetryPolicy& policy, int retry);

template <typename Step>
auto Retry(const RetryPolicy& policy, std::stop_token stop, Step&& step) -> decltype(step()) {
  for (int attempt = 1;; ++attempt) {
    auto result = step();
    if (result.ok() || result.error().code() != ErrorCode::kUnavailable) return result;
    if (attempt >= policy.attempts || stop.stop_requested()) return result;
    if (!PauseUnlessStopped(PauseBefore(policy, attempt), stop)) return result;
  }
}

}  // namespace pacsport::delivery
