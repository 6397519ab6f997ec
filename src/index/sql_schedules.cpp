// SqlIndex: scheduled exports, their runs and the change sequence.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {
namespace {

// last_success_*: of the newest run whose job ended done or delivered.
constexpr std::string_view kScheduleSelect =
    "SELECT c.id, c.hospital_id, c.name, c.cron, c.time_zone, c.request, c.destination_id, "
    "c.incremental, c.enabled, c.owner, c.next_run_at, c.last_run_at, c.last_job, "
    "c.created_at, c.updated_at, "
    "COALESCE((SELECT j.finished_at || ' ' || CAST(r.changes_through AS TEXT) FROM schedule_runs r "
    "JOIN export_jobs j ON j.id = r.job_id WHERE r.schedule_id = c.id "
    "AND j.state IN ('done', 'delivered') ORDER BY j.seq DESC LIMIT 1), '') "
    "FROM schedules c";

struct ScheduleRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.hospital_id));
    st.exchange(soci::into(record.name));
    st.exchange(soci::into(record.cron));
    st.exchange(soci::into(record.time_zone));
    st.exchange(soci::into(record.request));
    st.exchange(soci::into(record.destination_id));
    st.exchange(soci::into(incremental));
    st.exchange(soci::into(enabled));
    st.exchange(soci::into(record.owner));
    st.exchange(soci::into(record.next_run_at));
    st.exchange(soci::into(record.last_run_at));
    st.exchange(soci::into(record.last_job));
    st.exchange(soci::into(record.created_at));
    st.exchange(soci::into(record.updated_at));
    st.exchange(soci::into(last_success));
  }
  ScheduleRecord Record() const {
    ScheduleRecord out = record;
    out.incremental = incremental != 0;
    out.enabled = enabled != 0;
    out.last_success_at.clear();
    out.last_success_through.reset();
    if (const auto space = last_success.rfind(' '); space != std::string::npos) {
      out.last_success_at = last_success.substr(0, space);
      out.last_success_through = std::stoll(last_success.substr(space + 1));
    }
    return out;
  }

  ScheduleRecord record;
  int incremental = 0;
  int enabled = 0;
  std::string last_success;  // "finished_at changes_through", "" when none
};

template <typename Bind>
std::vector<ScheduleRecord> FetchSchedules(soci::session& sql, const std::string& where,
                                           Bind&& bind) {
  ScheduleRow row;
  soci::statement st(sql);
  row.Exchange(st);
  bind(st);
  st.alloc();
  st.prepare(std::string(kScheduleSelect) + " " + where);
  st.define_and_bind();
  st.execute(false);
  std::vector<ScheduleRecord> out;
  while (st.fetch()) out.push_back(row.Record());
  return out;
}

}  // namespace

Result<RowId> SqlIndex::AddSchedule(const ScheduleRecord& c) {
  return Run(Access::kWrite, "adding a schedule", [&](soci::session& sql) -> Result<RowId> {
    if (!HospitalExists(sql, c.hospital_id)) return NotFound("no such hospital");
    RowId id = 0;
    const int incremental = c.incremental ? 1 : 0;
    const int enabled = c.enabled ? 1 : 0;
    sql << "INSERT INTO schedules (hospital_id, name, cron, time_zone, request, destination_id, "
           "incremental, enabled, owner, next_run_at, last_run_at, last_job, created_at, "
           "updated_at) VALUES (:hospital_id, :name, :cron, :time_zone, :request, "
           ":destination_id, :incremental, :enabled, :owner, :next_run_at, '', '', "
           ":created_at, :updated_at) RETURNING id",
        soci::use(c.hospital_id), soci::use(c.name), soci::use(c.cron), soci::use(c.time_zone),
        soci::use(c.request), soci::use(c.destination_id), soci::use(incremental),
        soci::use(enabled), soci::use(c.owner), soci::use(c.next_run_at), soci::use(c.created_at),
        soci::use(c.updated_at), soci::into(id);
    return id;
  });
}

Result<ScheduleRecord> SqlIndex::GetSchedule(RowId hospital_id, RowId id) {
  return Run(Access::kRead, "reading a schedule",
             [&](soci::session& sql) -> Result<ScheduleRecord> {
               auto found = FetchSchedules(sql, "WHERE c.hospital_id = :hospital_id AND c.id = :id",
                                           [&](soci::statement& st) {
                                             st.exchange(soci::use(hospital_id));
                                             st.exchange(soci::use(id));
                                           });
               if (found.empty()) return NotFound("no such schedule");
               return std::move(found.front());
             });
}

Result<std::vector<ScheduleRecord>> SqlIndex::ListSchedules(RowId hospital_id) {
  return Run(Access::kRead, "listing schedules",
             [&](soci::session& sql) -> Result<std::vector<ScheduleRecord>> {
               return FetchSchedules(
                   sql, "WHERE c.hospital_id = :hospital_id ORDER BY c.id",
                   [&](soci::statement& st) { st.exchange(soci::use(hospital_id)); });
             });
}

Status SqlIndex::UpdateSchedule(const ScheduleRecord& c) {
  return Run(Access::kWrite, "changing a schedule", [&](soci::session& sql) -> Status {
    const int incremental = c.incremental ? 1 : 0;
    const int enabled = c.enabled ? 1 : 0;
    soci::statement update =
        (sql.prepare << "UPDATE schedules SET name = :name, cron = :cron, "
                        "time_zone = :time_zone, request = :request, "
                        "destination_id = :destination_id, incremental = :incremental, "
                        "enabled = :enabled, owner = :owner, next_run_at = :next_run_at, "
                        "updated_at = :updated_at WHERE hospital_id = :hospital_id AND id = :id",
         soci::use(c.name), soci::use(c.cron), soci::use(c.time_zone), soci::use(c.request),
         soci::use(c.destination_id), soci::use(incremental), soci::use(enabled),
         soci::use(c.owner), soci::use(c.next_run_at), soci::use(c.updated_at),
         soci::use(c.hospital_id), soci::use(c.id));
    update.execute(true);
    if (update.get_affected_rows() == 0) return NotFound("no such schedule");
    return Status::Ok();
  });
}

Status SqlIndex::DeleteSchedule(RowId hospital_id, RowId id) {
  return Run(Access::kWrite, "removing a schedule", [&](soci::session& sql) -> Status {
    soci::statement remove =
        (sql.prepare << "DELETE FROM schedules WHERE hospital_id = :hospital_id AND id = :id",
         soci::use(hospital_id), soci::use(id));
    remove.execute(true);
    if (remove.get_affected_rows() == 0) return NotFound("no such schedule");
    // Its jobs stay and still name it (ids are never given again); its runs'
    // watermarks go.
    sql << "DELETE FROM schedule_runs WHERE schedule_id = :id", soci::use(id);
    return Status::Ok();
  });
}

Result<std::vector<ScheduleRecord>> SqlIndex::ListDueSchedules(const std::string& now) {
  return Run(Access::kRead, "listing due schedules",
             [&](soci::session& sql) -> Result<std::vector<ScheduleRecord>> {
               return FetchSchedules(sql,
                                     "WHERE c.enabled = 1 AND c.next_run_at <> '' AND "
                                     "c.next_run_at <= :now ORDER BY c.next_run_at, c.id",
                                     [&](soci::statement& st) { st.exchange(soci::use(now)); });
             });
}

Result<bool> SqlIndex::ClaimScheduleSlot(RowId id, const std::string& slot,
                                         const std::string& next) {
  return Run(Access::kWrite, "claiming a schedule's slot", [&](soci::session& sql) -> Result<bool> {
    soci::statement claim =
        (sql.prepare << "UPDATE schedules SET next_run_at = :next WHERE id = :id AND "
                        "enabled = 1 AND next_run_at = :slot",
         soci::use(next), soci::use(id), soci::use(slot));
    claim.execute(true);
    return claim.get_affected_rows() == 1;
  });
}

Status SqlIndex::RecordScheduleRun(const ScheduleRun& run) {
  return Run(Access::kWrite, "recording a schedule's run", [&](soci::session& sql) -> Status {
    soci::statement update =
        (sql.prepare << "UPDATE schedules SET last_run_at = :ran_at, last_job = :job_id "
                        "WHERE id = :id",
         soci::use(run.ran_at), soci::use(run.job_id), soci::use(run.schedule_id));
    update.execute(true);
    if (update.get_affected_rows() == 0) return NotFound("no such schedule");
    if (!run.job_id.empty()) {
      sql << "INSERT INTO schedule_runs (job_id, schedule_id, ran_at, changes_through) "
             "VALUES (:job_id, :schedule_id, :ran_at, :changes_through)",
          soci::use(run.job_id), soci::use(run.schedule_id), soci::use(run.ran_at),
          soci::use(run.changes_through);
    }
    return Status::Ok();
  });
}

Result<std::int64_t> SqlIndex::CurrentChangeSequence() {
  return Run(Access::kRead, "reading the change sequence",
             [&](soci::session& sql) -> Result<std::int64_t> {
               std::int64_t value = 0;
               sql << "SELECT value FROM change_sequence", soci::into(value);
               return value;
             });
}

}  // namespace pacsport
