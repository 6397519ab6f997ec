// SqlIndex: export jobs.
#include <soci/soci.h>

#include <stdexcept>

#include "index/sql_conditions.h"
#include "index/sql_index.h"

namespace pacsport {
namespace {

constexpr std::string_view kJobSelect =
    "SELECT id, hospital_id, hospital_name, username, role, request, archive_name, state, "
    "created_at, started_at, finished_at, instances_done, instances_total, bytes_done, "
    "bytes_total, error, archive_size, archive_sha256, expires_at, destination_id, delivered_to, "
    "schedule_id, lease_owner, lease_expires_at, attempt";
constexpr std::string_view kJobFrom = "FROM export_jobs";

// The condition of a job another replica may claim at :now (bound three times: queued,
// running, delivering, now): queued, or running or delivering under an expired lease.
constexpr std::string_view kClaimable = "(state = ? OR (state IN (?, ?) AND lease_expires_at < ?))";

std::vector<SqlConditions::Value> ClaimableValues(const std::string& now) {
  return {std::string(JobStateName(JobState::kQueued)),
          std::string(JobStateName(JobState::kRunning)),
          std::string(JobStateName(JobState::kDelivering)), now};
}

// A job row fetched into `record`, with its role and state names.
struct JobRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.hospital_id));
    st.exchange(soci::into(record.hospital_name));
    st.exchange(soci::into(record.username));
    st.exchange(soci::into(role));
    st.exchange(soci::into(record.request));
    st.exchange(soci::into(record.archive_name));
    st.exchange(soci::into(state));
    st.exchange(soci::into(record.created_at));
    st.exchange(soci::into(record.started_at));
    st.exchange(soci::into(record.finished_at));
    st.exchange(soci::into(record.progress.instances_done));
    st.exchange(soci::into(record.progress.instances_total));
    st.exchange(soci::into(record.progress.bytes_done));
    st.exchange(soci::into(record.progress.bytes_total));
    st.exchange(soci::into(record.error));
    st.exchange(soci::into(record.archive_size));
    st.exchange(soci::into(record.archive_sha256));
    st.exchange(soci::into(record.expires_at));
    st.exchange(soci::into(record.destination_id));
    st.exchange(soci::into(record.delivered_to));
    st.exchange(soci::into(record.schedule_id));
    st.exchange(soci::into(record.lease_owner));
    st.exchange(soci::into(record.lease_expires_at));
    st.exchange(soci::into(record.attempt));
  }
  // The record of the row just fetched. Throws std::runtime_error for a role or
  // state this program does not know.
  JobRecord Record() const {
    JobRecord out = record;
    const auto parsed_role = ParseRole(role);
    const auto parsed_state = ParseJobState(state);
    if (!parsed_role || !parsed_state)
      throw std::runtime_error("a job has an unknown role or state");
    out.role = *parsed_role;
    out.state = *parsed_state;
    return out;
  }

  JobRecord record;
  std::string role;
  std::string state;
};

// Every job `where` selects, oldest first.
std::vector<JobRecord> SelectJobs(soci::session& sql, const SqlConditions& where) {
  std::vector<JobRecord> jobs;
  JobRow row;
  where.ForEachRow(
      sql, kJobSelect, kJobFrom, "seq", std::nullopt,
      [&](soci::statement& st) { row.Exchange(st); }, [&] { jobs.push_back(row.Record()); });
  return jobs;
}

}  // namespace

Status SqlIndex::AddJob(const JobRecord& job) {
  const std::string role(RoleName(job.role));
  const std::string state(JobStateName(job.state));
  return Run(Access::kWrite, "adding an export job", [&](soci::session& sql) -> Status {
    int one = 0;
    sql << "SELECT 1 FROM export_jobs WHERE id = :id", soci::use(job.id), soci::into(one);
    if (sql.got_data()) return Error(ErrorCode::kConflict, "a job with this id exists");
    sql << "INSERT INTO export_jobs (id, hospital_id, hospital_name, username, role, request, "
           "archive_name, state, created_at, started_at, finished_at, instances_done, "
           "instances_total, bytes_done, bytes_total, error, archive_size, archive_sha256, "
           "expires_at, destination_id, delivered_to, schedule_id) VALUES (:id, :hospital_id, "
           ":hospital_name, :username, :role, :request, :archive_name, :state, :created_at, "
           ":started_at, :finished_at, :instances_done, :instances_total, :bytes_done, "
           ":bytes_total, :error, :archive_size, :archive_sha256, :expires_at, :destination_id, "
           ":delivered_to, :schedule_id)",
        soci::use(job.id), soci::use(job.hospital_id), soci::use(job.hospital_name),
        soci::use(job.username), soci::use(role), soci::use(job.request),
        soci::use(job.archive_name), soci::use(state), soci::use(job.created_at),
        soci::use(job.started_at), soci::use(job.finished_at),
        soci::use(job.progress.instances_done), soci::use(job.progress.instances_total),
        soci::use(job.progress.bytes_done), soci::use(job.progress.bytes_total),
        soci::use(job.error), soci::use(job.archive_size), soci::use(job.archive_sha256),
        soci::use(job.expires_at), soci::use(job.destination_id), soci::use(job.delivered_to),
        soci::use(job.schedule_id);
    return Status::Ok();
  });
}

Result<JobRecord> SqlIndex::GetJob(RowId hospital_id, const std::string& id) {
  return Run(Access::kRead, "reading an export job", [&](soci::session& sql) -> Result<JobRecord> {
    SqlConditions where;
    where.Add("hospital_id = ?", {hospital_id});
    where.Add("id = ?", {id});
    std::optional<JobRecord> found;
    JobRow row;
    where.ForEachRow(
        sql, kJobSelect, kJobFrom, "seq", PageRequest{0, 1},
        [&](soci::statement& st) { row.Exchange(st); }, [&] { found = row.Record(); });
    if (!found) return NotFound("no such export job");
    return *found;
  });
}

Result<Page<JobRecord>> SqlIndex::ListJobs(const JobQuery& q) {
  if (Status page = CheckPage(q.page); !page.ok()) return page.error();
  return Run(Access::kRead, "listing export jobs",
             [&](soci::session& sql) -> Result<Page<JobRecord>> {
               SqlConditions where;
               where.Add("hospital_id = ?", {q.hospital_id});
               if (!q.username.empty()) where.Add("username = ?", {q.username});
               if (q.schedule_id != 0) where.Add("schedule_id = ?", {q.schedule_id});
               Page<JobRecord> page;
               page.total = where.Count(sql, kJobFrom);
               JobRow row;
               where.ForEachRow(
                   sql, kJobSelect, kJobFrom, "seq DESC", q.page,
                   [&](soci::statement& st) { row.Exchange(st); },
                   [&] { page.items.push_back(row.Record()); });
               return page;
             });
}

Result<std::vector<JobRecord>> SqlIndex::ListJobsInState(JobState state) {
  return Run(Access::kRead, "listing export jobs by state",
             [&](soci::session& sql) -> Result<std::vector<JobRecord>> {
               SqlConditions where;
               where.Add("state = ?", {std::string(JobStateName(state))});
               return SelectJobs(sql, where);
             });
}

Result<bool> SqlIndex::TransitionJob(JobState from, const JobRecord& to) {
  const std::string from_name(JobStateName(from));
  const std::string to_name(JobStateName(to.state));
  return Run(Access::kWrite, "changing an export job's state",
             [&](soci::session& sql) -> Result<bool> {
               soci::statement update =
                   (sql.prepare << "UPDATE export_jobs SET state = :to, started_at = :started_at, "
                                   "finished_at = :finished_at, instances_done = :instances_done, "
                                   "instances_total = :instances_total, bytes_done = :bytes_done, "
                                   "bytes_total = :bytes_total, error = :error, "
                                   "archive_size = :archive_size, archive_sha256 = :sha256, "
                                   "expires_at = :expires_at, delivered_to = :delivered_to "
                                   "WHERE id = :id AND state = :from AND lease_owner = :owner",
                    soci::use(to_name), soci::use(to.started_at), soci::use(to.finished_at),
                    soci::use(to.progress.instances_done), soci::use(to.progress.instances_total),
                    soci::use(to.progress.bytes_done), soci::use(to.progress.bytes_total),
                    soci::use(to.error), soci::use(to.archive_size), soci::use(to.archive_sha256),
                    soci::use(to.expires_at), soci::use(to.delivered_to), soci::use(to.id),
                    soci::use(from_name), soci::use(to.lease_owner));
               update.execute(true);
               return update.get_affected_rows() > 0;
             });
}

Result<bool> SqlIndex::SetJobProgress(const std::string& id, const std::string& owner,
                                      const JobProgress& progress) {
  const std::string running(JobStateName(JobState::kRunning));
  const std::string delivering(JobStateName(JobState::kDelivering));
  return Run(Access::kWrite, "recording an export job's progress",
             [&](soci::session& sql) -> Result<bool> {
               soci::statement update =
                   (sql.prepare << "UPDATE export_jobs SET instances_done = :instances_done, "
                                   "instances_total = :instances_total, bytes_done = :bytes_done, "
                                   "bytes_total = :bytes_total WHERE id = :id AND "
                                   "lease_owner = :owner AND state IN (:running, :delivering)",
                    soci::use(progress.instances_done), soci::use(progress.instances_total),
                    soci::use(progress.bytes_done), soci::use(progress.bytes_total), soci::use(id),
                    soci::use(owner), soci::use(running), soci::use(delivering));
               update.execute(true);
               return update.get_affected_rows() > 0;
             });
}

Result<std::vector<JobRecord>> SqlIndex::ListClaimableJobs(const std::string& now) {
  return Run(Access::kRead, "listing claimable export jobs",
             [&](soci::session& sql) -> Result<std::vector<JobRecord>> {
               SqlConditions where;
               where.AddWithValues(kClaimable, ClaimableValues(now));
               return SelectJobs(sql, where);
             });
}

Result<std::optional<JobRecord>> SqlIndex::ClaimJob(const std::string& id,
                                                    const LeaseTerms& lease) {
  const std::string running(JobStateName(JobState::kRunning));
  return Run(Access::kWrite, "claiming an export job",
             [&](soci::session& sql) -> Result<std::optional<JobRecord>> {
               SqlConditions where;
               where.Add("id = ?", {id});
               where.AddWithValues(kClaimable, ClaimableValues(lease.now));
               std::optional<JobRecord> found;
               JobRow row;
               // The row stays locked until commit; a concurrent claimer skips it.
               where.ForEachRow(
                   sql, kJobSelect, kJobFrom, "seq" + std::string(dialect_.lock_skip_locked),
                   std::nullopt, [&](soci::statement& st) { row.Exchange(st); },
                   [&] { found = row.Record(); });
               if (!found) return std::optional<JobRecord>();
               JobRecord job = *found;
               job.state = JobState::kRunning;
               job.started_at = lease.now;
               job.finished_at.clear();
               job.error.clear();
               job.progress.instances_done = 0;
               job.progress.bytes_done = 0;
               job.archive_size = 0;
               job.archive_sha256.clear();
               job.expires_at.clear();
               job.lease_owner = lease.owner;
               job.lease_expires_at = lease.expires_at;
               job.attempt += 1;
               sql << "UPDATE export_jobs SET state = :running, started_at = :started_at, "
                      "finished_at = '', error = '', instances_done = 0, bytes_done = 0, "
                      "archive_size = 0, archive_sha256 = '', expires_at = '', "
                      "lease_owner = :owner, lease_expires_at = :expires_at, attempt = :attempt "
                      "WHERE id = :id",
                   soci::use(running), soci::use(job.started_at), soci::use(job.lease_owner),
                   soci::use(job.lease_expires_at), soci::use(job.attempt), soci::use(job.id);
               return std::optional<JobRecord>(std::move(job));
             });
}

Result<std::vector<std::string>> SqlIndex::RenewJobLeases(const LeaseTerms& lease) {
  const std::string running(JobStateName(JobState::kRunning));
  const std::string delivering(JobStateName(JobState::kDelivering));
  return Run(Access::kWrite, "renewing export job leases",
             [&](soci::session& sql) -> Result<std::vector<std::string>> {
               sql << "UPDATE export_jobs SET lease_expires_at = :expires_at "
                      "WHERE lease_owner = :owner AND state IN (:running, :delivering)",
                   soci::use(lease.expires_at), soci::use(lease.owner), soci::use(running),
                   soci::use(delivering);
               std::vector<std::string> held;
               std::string id;
               soci::statement select =
                   (sql.prepare << "SELECT id FROM export_jobs WHERE lease_owner = :owner AND "
                                   "state IN (:running, :delivering) ORDER BY seq",
                    soci::use(lease.owner), soci::use(running), soci::use(delivering),
                    soci::into(id));
               select.execute();
               while (select.fetch()) held.push_back(id);
               return held;
             });
}

}  // namespace pacsport
