#include "delivery/retry.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

namespace pacsport::delivery {

bool PauseUnlessStopped(std::chrono::milliseconds pause, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  return !woken.wait_for(lock, stop, pause, [] { return false; }) && !stop.stop_requested();
}

std::chrono::milliseconds PauseBefore(const RetryPolicy& policy, int retry) {
  auto pause = policy.first_pause;
  for (int i = 1; i < retry && pause < policy.max_pause; ++i) pause *= 2;
  pause = std::min(pause, policy.max_pause);
  thread_local std::minstd_rand random(std::random_device{}());
  const auto jitter = std::uniform_int_distribution<std::int64_t>(0, pause.count() / 4)(random);
  return pause + std::chrono::milliseconds(jitter);
}

}  // namespace pacsport::delivery
