// Schedules: scheduled exports of a hospital, managed by its admins, each run an
// export job (export/export_jobs.h) submitted as the schedule's owner.
//
// A schedule is a cron expression in a time zone (delivery/cron_schedule.h), an export
// request of scope all, patients or studies with its options (checked by
// ParseJobRequest, as POST /api/export/jobs), an optional destination of the
// hospital, and whether it is incremental. Its owner is the admin who created or last
// changed it; a run acts as that owner, and fails (recorded as a failed job of the
// schedule, audited) when the owner no longer exists or is no longer an admin of the
// hospital. Every run is audited as the owner with endpoint
// "SCHEDULE /api/schedules/:id" (ExportJobs::Submit records it), and the job's own
// audit records follow.
//
// Incremental (scope all only): a run exports the studies changed after the
// watermark of the schedule's last run that ended done or delivered, up to the
// change sequence number current when it is submitted (Index::CurrentChangeSequence),
// which becomes its own watermark. Both bounds are change sequence numbers given in
// the ingest's transaction (sql_ingest.cpp), so a study committed after the upper
// bound was read waits for the next run, and none is ever skipped. The first run,
// with no successful run before it, exports everything. A run with nothing new still
// runs: its archive holds no study (an empty export: the backup's record that
// nothing changed), and it moves the watermark on like any other.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "delivery/scheduler.h"
#include "export/export_jobs.h"
#include "index/index.h"

namespace pacsport::delivery {

class Schedules final : public ScheduleFiring {
 public:
  // Borrows index and jobs. `clock` is the scheduler's (next_run_at is computed
  // with it); `default_compression` the export default, as for jobs.
  Schedules(Index& index, ExportJobs& jobs, Scheduler::Clock clock, int default_compression);

  // All require an admin of the schedule's hospital (kForbidden otherwise); another
  // hospital's schedule is kNotFound.
  //
  // body: {"name", "cron", "timeZone", "scope", "ids", "options": {"includeImages",
  // "previews", "format", "compression"}, "destination": id|null, "incremental",
  // "enabled"}. Create requires name, cron and scope (timeZone defaults to "UTC",
  // enabled to true, incremental to false); Update replaces the fields given. Any
  // fault is kInvalidInput naming the field; a destination the hospital does not
  // have is kNotFound. The read-only fields of a schedule's JSON are ignored.
  Result<ScheduleRecord> Create(const Principal& admin, const nlohmann::ordered_json& body);
  Result<ScheduleRecord> Update(const Principal& admin, RowId id,
                                const nlohmann::ordered_json& body);
  Result<ScheduleRecord> Get(const Principal& admin, RowId id);
  Result<std::vector<ScheduleRecord>> List(const Principal& admin);
  Status Delete(const Principal& admin, RowId id);
  // The schedule's jobs, newest first.
  Result<Page<JobRecord>> Runs(const Principal& admin, RowId id, const PageRequest& page);
  // Runs it now (as a fired run, its slot left as it is); the run's job, failed when
  // the run could not be submitted.
  Result<JobRecord> RunNow(const Principal& admin, RowId id);

  // ScheduleFiring: one run, its job recorded as the schedule's last.
  void Fire(const ScheduleRecord& schedule, SystemTime now) override;

 private:
  // The run's job: submitted, or recorded as failed with the reason.
  JobRecord Run(const ScheduleRecord& schedule, SystemTime now);
  // Checks `body` onto `schedule` (see Create).
  Status Apply(const Principal& admin, const nlohmann::ordered_json& body,
               ScheduleRecord& schedule);
  // A failed job of the schedule, recorded so that it shows among its runs.
  JobRecord RecordFailure(const ScheduleRecord& schedule, const Principal& owner,
                          const std::string& error, SystemTime now);

  Index& index_;
  ExportJobs& jobs_;
  const Scheduler::Clock clock_;
  const int default_compression_;
};

// The endpoint a schedule's runs are audited under.
inline constexpr std::string_view kScheduleRunEndpoint = "SCHEDULE /api/schedules/:id";

}  // namespace pacsport::delivery
