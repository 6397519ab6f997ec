#include "export/job_admission.h"

#include <map>
#include <string>

namespace pacsport {

std::optional<size_t> NextJobToStart(const std::vector<JobRecord>& queued,
                                     const std::vector<bool>& skip,
                                     const std::vector<const JobRecord*>& running,
                                     const JobLimits& limits) {
  if (static_cast<int>(running.size()) >= limits.max_running) return std::nullopt;
  std::map<RowId, int> per_hospital;
  std::map<std::string, int> per_user;
  for (const JobRecord* job : running) {
    ++per_hospital[job->hospital_id];
    ++per_user[job->username];
  }
  std::optional<size_t> best;
  for (size_t i = 0; i < queued.size(); ++i) {
    const JobRecord& job = queued[i];
    const int hospital_running = per_hospital[job.hospital_id];
    if (skip[i] || hospital_running >= limits.max_running_per_hospital ||
        per_user[job.username] >= limits.max_running_per_user) {
      continue;
    }
    if (!best || hospital_running < per_hospital[queued[*best].hospital_id]) best = i;
  }
  return best;
}

}  // namespace pacsport
