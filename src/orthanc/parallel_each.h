// ParallelEach: runs one task per index on a few threads, for work that waits on a
// server (requests to an Orthanc), stopping at the first failure.
#pragma once

#include <cstddef>
#include <functional>
#include <stop_token>

#include "core/error.h"

namespace pacsport {

// Calls task(i) for every i in [0, count) on up to `threads` threads (at least one),
// each i once, in no particular order, and returns when all have returned. After a
// task fails, or `stop` is requested, no further task starts; the answer is the first
// failure, else kUnavailable when stopped before the end. `task` must be safe to call
// from several threads at once.
Status ParallelEach(size_t count, int threads, const std::stop_token& stop,
                    const std::function<Status(size_t)>& task);

}  // namespace pacsport
