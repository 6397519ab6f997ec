// NextJobToStart: the queue's admission rule. Among the queued jobs (oldest first), the
// next to start is the oldest job of the hospitals with the fewest jobs running, skipping
// jobs whose user or hospital is at its running limit; none when the server is at its
// total, or no job is admissible. So one hospital's backlog never keeps another's jobs
// waiting behind it, and within a hospital jobs start in order. Pure; thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "index/index.h"

namespace pacsport {

struct JobLimits {
  int max_running = 2;
  int max_running_per_hospital = 2;
  int max_running_per_user = 1;
};

// `queued` oldest first; `skip[i]` excludes queued[i] (already started, or lost to a
// cancel); `running` the jobs running now.
std::optional<size_t> NextJobToStart(const std::vector<JobRecord>& queued,
                                     const std::vector<bool>& skip,
                                     const std::vector<const JobRecord*>& running,
                                     const JobLimits& limits);

}  // namespace pacsport
