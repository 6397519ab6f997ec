#include "orthanc/parallel_each.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace pacsport {

Status ParallelEach(size_t count, int threads, const std::stop_token& stop,
                    const std::function<Status(size_t)>& task) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::optional<Error> failure;  // guarded by mutex
  auto work = [&] {
    for (size_t i = next++; i < count && !failed && !stop.stop_requested(); i = next++) {
      Status status = task(i);
      if (status.ok()) {
        ++done;
        continue;
      }
      std::lock_guard lock(mutex);
      if (!failure) failure = status.error();
      failed = true;
    }
  };
  {
    std::vector<std::jthread> pool;
    const size_t n = std::min(count, static_cast<size_t>(std::max(threads, 1)));
    for (size_t i = 0; i < n; ++i) pool.emplace_back(work);
  }
  if (failure) return *failure;
  if (done < count) return Unavailable("stopped before the end");
  return Status::Ok();
}

}  // namespace pacsport
