#include "delivery/schedules.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>

#include "auth/random_token.h"
#include "delivery/cron_schedule.h"
#include "export/export_job_request.h"
#include "export/planner.h"

namespace pacsport::delivery {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kWritable[] = {"name",    "cron",        "timeZone",    "scope",  "ids",
                                          "options", "destination", "incremental", "enabled"};
constexpr std::string_view kReadOnly[] = {
    "id", "owner", "nextRunAt", "lastRunAt", "lastSuccessAt", "lastJob", "createdAt", "updatedAt"};
constexpr std::string_view kOptionKeys[] = {"includeImages", "previews", "format", "compression"};
constexpr std::size_t kMaxNameLength = 200;
constexpr std::size_t kJobIdBytes = 18;

bool Listed(std::span<const std::string_view> keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Status RequireAdmin(const Principal& principal) {
  if (principal.role != Role::kAdmin) return Forbidden("schedules are managed by admins");
  return Status::Ok();
}

Result<std::string> TextField(const json& body, const char* key) {
  if (!body[key].is_string() || body[key].get<std::string>().empty()) {
    return InvalidInput(std::string(key) + " must be a non-empty string");
  }
  return body[key].get<std::string>();
}

Result<bool> BoolField(const json& body, const char* key) {
  if (!body[key].is_boolean()) return InvalidInput(std::string(key) + " must be true or false");
  return body[key].get<bool>();
}

// The stored request with the body's scope, ids and options applied, checked as
// POST /api/export/jobs checks a job's.
Result<std::string> ApplyRequest(const json& body, const std::string& stored,
                                 int default_compression) {
  json request = stored.empty() ? json::object() : json::parse(stored);
  if (body.contains("scope")) {
    const json& scope = body["scope"];
    if (!scope.is_string() || (scope != "all" && scope != "patients" && scope != "studies")) {
      return InvalidInput("scope must be all, patients or studies");
    }
    request["scope"] = scope;
    request["ids"] = json::array();
  }
  if (body.contains("ids")) request["ids"] = body["ids"];
  if (body.contains("options")) {
    const json& options = body["options"];
    if (!options.is_object()) return InvalidInput("options must be an object");
    for (std::string_view key : kOptionKeys) request.erase(std::string(key));
    for (const auto& [key, value] : options.items()) {
      if (!Listed(kOptionKeys, key)) return InvalidInput("options: unknown key: " + key);
      request[key] = value;
    }
  }
  auto parsed = ParseJobRequest(request.dump(), default_compression);
  if (!parsed.ok()) return parsed.error();
  return JobRequestJson(*parsed);
}

}  // namespace

Schedules::Schedules(Index& index, ExportJobs& jobs, Scheduler::Clock clock,
                     int default_compression)
    : index_(index),
      jobs_(jobs),
      clock_(std::move(clock)),
      default_compression_(default_compression) {}

Status Schedules::Apply(const Principal& admin, const json& body, ScheduleRecord& schedule) {
  if (!body.is_object()) return InvalidInput("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (!Listed(kWritable, key) && !Listed(kReadOnly, key)) {
      return InvalidInput("unknown key: " + key);
    }
  }
  if (body.contains("name")) {
    auto name = TextField(body, "name");
    if (!name.ok()) return name.error();
    if (name->size() > kMaxNameLength) return InvalidInput("name is longer than 200 characters");
    schedule.name = *name;
  }
  if (body.contains("cron")) {
    if (!body["cron"].is_string()) return InvalidInput("cron must be a string");
    schedule.cron = body["cron"].get<std::string>();
  }
  if (body.contains("timeZone")) {
    if (!body["timeZone"].is_string()) return InvalidInput("timeZone must be a string");
    schedule.time_zone = body["timeZone"].get<std::string>();
  }
  if (schedule.name.empty()) return InvalidInput("name must be a non-empty string");
  if (schedule.cron.empty()) return InvalidInput("cron must be a 5-field cron expression");
  if (schedule.request.empty() && !body.contains("scope")) {
    return InvalidInput("scope must be all, patients or studies");
  }
  auto cron = CronSchedule::Parse(schedule.cron);
  if (!cron.ok()) return cron.error();
  if (Status zone = CheckTimeZone(schedule.time_zone); !zone.ok()) return zone;
  auto request = ApplyRequest(body, schedule.request, default_compression_);
  if (!request.ok()) return request.error();
  schedule.request = *request;
  if (body.contains("destination")) {
    const json& destination = body["destination"];
    if (destination.is_null()) {
      schedule.destination_id = 0;
    } else if (destination.is_number_integer() && destination.get<RowId>() > 0) {
      schedule.destination_id = destination.get<RowId>();
    } else {
      return InvalidInput("destination must be a destination's id or null");
    }
  }
  if (schedule.destination_id != 0) {
    auto destination = index_.GetDestination(admin.hospital_id, schedule.destination_id);
    if (!destination.ok()) {
      if (destination.error().code() == ErrorCode::kNotFound) {
        return NotFound("destination: the hospital has no destination " +
                        std::to_string(schedule.destination_id));
      }
      return destination.error();
    }
  }
  for (const char* key : {"incremental", "enabled"}) {
    if (!body.contains(key)) continue;
    auto flag = BoolField(body, key);
    if (!flag.ok()) return flag.error();
    (std::string_view(key) == "incremental" ? schedule.incremental : schedule.enabled) = *flag;
  }
  if (schedule.incremental && json::parse(schedule.request).value("scope", "") != "all") {
    return InvalidInput("incremental: an incremental schedule needs scope all");
  }
  const SystemTime now = clock_();
  schedule.next_run_at.clear();
  if (schedule.enabled) {
    auto next = cron->NextAfter(now, schedule.time_zone);
    if (!next.ok()) return next.error();
    schedule.next_run_at = Iso8601(*next);
  }
  schedule.owner = admin.username;
  schedule.updated_at = Iso8601(now);
  return Status::Ok();
}

Result<ScheduleRecord> Schedules::Create(const Principal& admin, const json& body) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  ScheduleRecord schedule;
  schedule.hospital_id = admin.hospital_id;
  schedule.time_zone = "UTC";
  if (Status s = Apply(admin, body, schedule); !s.ok()) return s.error();
  schedule.created_at = schedule.updated_at;
  auto id = index_.AddSchedule(schedule);
  if (!id.ok()) return id.error();
  return index_.GetSchedule(admin.hospital_id, *id);
}

Result<ScheduleRecord> Schedules::Update(const Principal& admin, RowId id, const json& body) {
  auto schedule = Get(admin, id);
  if (!schedule.ok()) return schedule;
  if (Status s = Apply(admin, body, *schedule); !s.ok()) return s.error();
  if (Status s = index_.UpdateSchedule(*schedule); !s.ok()) return s.error();
  return index_.GetSchedule(admin.hospital_id, id);
}

Result<ScheduleRecord> Schedules::Get(const Principal& admin, RowId id) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  return index_.GetSchedule(admin.hospital_id, id);
}

Result<std::vector<ScheduleRecord>> Schedules::List(const Principal& admin) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  return index_.ListSchedules(admin.hospital_id);
}

Status Schedules::Delete(const Principal& admin, RowId id) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  return index_.DeleteSchedule(admin.hospital_id, id);
}

Result<Page<JobRecord>> Schedules::Runs(const Principal& admin, RowId id, const PageRequest& page) {
  auto schedule = Get(admin, id);
  if (!schedule.ok()) return schedule.error();
  JobQuery query;
  query.hospital_id = admin.hospital_id;
  query.schedule_id = id;
  query.page = page;
  return index_.ListJobs(query);
}

Result<JobRecord> Schedules::RunNow(const Principal& admin, RowId id) {
  auto schedule = Get(admin, id);
  if (!schedule.ok()) return schedule.error();
  return Run(*schedule, clock_());
}

void Schedules::Fire(const ScheduleRecord& schedule, SystemTime now) { Run(schedule, now); }

JobRecord Schedules::Run(const ScheduleRecord& schedule, SystemTime now) {
  Principal owner{schedule.owner, schedule.hospital_id, "", Role::kAdmin};
  ExportAttempt attempt{"", std::string(kScheduleRunEndpoint), "", "{}", "", ""};
  ScheduleRun run{schedule.id, "", Iso8601(now), 0};
  auto finish = [&](JobRecord job) {
    run.job_id = job.id;
    if (Status s = index_.RecordScheduleRun(run); !s.ok()) {
      spdlog::error("event=schedule_run_unrecorded schedule={} job={} error=\"{}\"", schedule.id,
                    job.id, s.error().message());
    }
    spdlog::info("event=schedule_run schedule={} job={} state={}", schedule.id, job.id,
                 JobStateName(job.state));
    return job;
  };

  auto user = index_.FindUser(schedule.owner);
  if (!user.ok() || user->hospital_id != schedule.hospital_id || user->role != Role::kAdmin) {
    if (user.ok() && user->hospital_id == schedule.hospital_id) {
      owner.hospital_name = user->hospital_name;
      owner.role = user->role;
    }
    const std::string why = !user.ok() && user.error().code() != ErrorCode::kNotFound
                                ? user.error().message()
                                : "the schedule's owner " + schedule.owner +
                                      " no longer exists or is no longer an admin of the hospital";
    AuditRecord record;
    record.started_at = run.ran_at;
    record.username = owner.username;
    record.role = RoleName(owner.role);
    record.hospital_id = owner.hospital_id;
    record.hospital_name = owner.hospital_name;
    record.endpoint = attempt.endpoint;
    record.target = "schedule " + std::to_string(schedule.id);
    record.parameters = schedule.request;
    AuditCompletion denied;
    denied.outcome = AuditOutcome::kDenied;
    denied.detail = "forbidden: " + why;
    auto audit_id = index_.OpenAudit(record);
    if (!audit_id.ok() || !index_.CompleteAudit(*audit_id, denied).ok()) {
      spdlog::error("event=audit_failed endpoint=\"{}\" schedule={}", attempt.endpoint,
                    schedule.id);
    }
    return finish(RecordFailure(schedule, owner, why, now));
  }
  owner.hospital_name = user->hospital_name;

  auto request = ParseJobRequest(schedule.request, default_compression_);
  Result<std::int64_t> through = std::int64_t{0};
  if (request.ok() && schedule.incremental) {
    through = index_.CurrentChangeSequence();
    if (through.ok()) {
      run.changes_through = *through;
      if (schedule.last_success_through) {
        request->changes = ChangeRange{*schedule.last_success_through, *through};
      }
    }
  }
  if (!request.ok() || !through.ok()) {
    const Error& error = request.ok() ? through.error() : request.error();
    return finish(RecordFailure(schedule, owner, error.message(), now));
  }
  auto job =
      jobs_.Submit(owner, *request, attempt, JobSubmission{schedule.destination_id, schedule.id});
  if (!job.ok()) {
    return finish(RecordFailure(
        schedule, owner, std::string(job.error().name()) + ": " + job.error().message(), now));
  }
  return finish(std::move(*job));
}

JobRecord Schedules::RecordFailure(const ScheduleRecord& schedule, const Principal& owner,
                                   const std::string& error, SystemTime now) {
  JobRecord job;
  job.id = auth::RandomBase64Url(kJobIdBytes);
  job.hospital_id = schedule.hospital_id;
  job.hospital_name = owner.hospital_name;
  job.username = owner.username;
  job.role = owner.role;
  job.request = schedule.request;
  auto request = ParseJobRequest(schedule.request, default_compression_);
  job.archive_name = request.ok() ? ArchiveName(*request, now) : "";
  job.state = JobState::kFailed;
  job.created_at = Iso8601(std::chrono::system_clock::now());
  job.finished_at = job.created_at;
  job.error = error;
  job.destination_id = schedule.destination_id;
  job.schedule_id = schedule.id;
  if (Status s = index_.AddJob(job); !s.ok()) {
    spdlog::error("event=schedule_run_unrecorded schedule={} error=\"{}\"", schedule.id,
                  s.error().message());
  }
  return job;
}

}  // namespace pacsport::delivery
