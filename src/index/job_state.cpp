#include "index/index.h"

namespace pacsport {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
    case JobState::kDelivering:
      return "delivering";
    case JobState::kDelivered:
      return "delivered";
  }
  return "failed";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState state : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed,
                         JobState::kCancelled, JobState::kDelivering, JobState::kDelivered}) {
    if (JobStateName(state) == name) return state;
  }
  return std::nullopt;
}

}  // namespace pacsport
