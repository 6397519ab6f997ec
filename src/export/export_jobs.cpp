#include "export/export_jobs.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>
#include <vector>

#include "auth/random_token.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/replica_id.h"
#include "export/audit_action.h"
#include "export/export_estimate.h"
#include "export/export_job_request.h"
#include "export/job_admission.h"
#include "export/job_archive_file.h"
#include "export/planner.h"

namespace pacsport {
namespace {

constexpr size_t kJobIdBytes = 16;
constexpr auto kSweepInterval = std::chrono::seconds(2);

std::string Now() { return Iso8601(std::chrono::system_clock::now()); }

std::string Extension(const ExportRequest& request) {
  return IsArchive(request.options.format) ? "zip" : "json";
}

// The job's request as the audit's parameters, with the job's id and destination.
std::string JobParameters(const std::string& request_json, const std::string& id,
                          RowId destination_id) {
  nlohmann::ordered_json parameters = nlohmann::ordered_json::parse(request_json);
  parameters["job"] = id;
  if (destination_id != 0) parameters["destination"] = destination_id;
  return parameters.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string Detail(const Error& error) {
  return std::string(error.name()) + ": " + error.message();
}

// A job's request as the index keeps it (every key written, so no default applies).
Result<ExportRequest> StoredRequest(const std::string& json) {
  constexpr int kUnused = 9;
  return ParseJobRequest(json, kUnused);
}

// The job as it is once it has no archive (removed, expired, or never made).
JobRecord WithoutArchive(JobRecord job) {
  job.archive_size = 0;
  job.archive_sha256.clear();
  job.expires_at.clear();
  return job;
}

}  // namespace

ArchiveDownload::ArchiveDownload(Index& index, RowId audit_id, int fd, JobRecord job,
                                 std::string content_type)
    : index_(index),
      audit_id_(audit_id),
      fd_(fd),
      job_(std::move(job)),
      content_type_(std::move(content_type)),
      started_(std::chrono::steady_clock::now()) {}

ArchiveDownload::~ArchiveDownload() {
  ::close(fd_);
  AuditCompletion completion;
  completion.outcome = delivered_ ? AuditOutcome::kSuccess : AuditOutcome::kAborted;
  if (!delivered_) completion.detail = "the client went away before the range was sent";
  if (!refused_.empty()) {
    completion.outcome = AuditOutcome::kDenied;
    completion.detail = refused_;
  }
  completion.bytes_sent = static_cast<std::int64_t>(bytes_sent_);
  completion.entries = delivered_ ? 1 : 0;
  // A download of the whole archive delivered exactly the bytes the job hashed.
  if (delivered_ && completion.bytes_sent == job_.archive_size) {
    completion.content_sha256 = job_.archive_sha256;
  }
  completion.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started_)
                               .count();
  if (Status s = index_.CompleteAudit(audit_id_, completion); !s.ok()) {
    spdlog::error("event=audit_completion_failed audit_id={} error={}", audit_id_,
                  s.error().name());
  }
}

bool ArchiveDownload::Read(std::uint64_t offset, size_t size, std::string& out) {
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  bytes_sent_ += size;
  return true;
}

void ArchiveDownload::Refused(std::string detail) { refused_ = std::move(detail); }

void ArchiveDownload::Delivered(std::uint64_t bytes_sent) {
  bytes_sent_ = bytes_sent;
  delivered_ = true;
}

ExportJobs::ExportJobs(Index& index, ExportService& exports, ExportJobSettings settings,
                       JobDelivery* delivery)
    : index_(index),
      exports_(exports),
      settings_(std::move(settings)),
      delivery_(delivery),
      replica_(settings_.replica.empty() ? ThisReplicaId() : settings_.replica) {}

ExportJobs::~ExportJobs() { Stop(); }

Status ExportJobs::Start() {
  std::error_code error;
  std::filesystem::create_directories(settings_.directory, error);
  if (error) return Unavailable("cannot create the jobs directory: " + error.message());
  if (Status alive = index_.RecordHeartbeat(replica_, Now()); !alive.ok()) return alive;
  last_renewal_ = std::chrono::steady_clock::now();
  spdlog::info("event=replica_started replica={} lease_seconds={}", replica_,
               settings_.lease.count());
  loop_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  return Status::Ok();
}

void ExportJobs::Stop() {
  if (!loop_.joinable()) return;
  loop_.request_stop();
  loop_.join();
  std::map<std::string, std::unique_ptr<Running>> running;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, job] : running_) job->stop.request_stop();
    running.swap(running_);
  }
  running.clear();  // joins each job's thread
}

Result<JobRecord> ExportJobs::Submit(const Principal& principal, const ExportRequest& request,
                                     const ExportAttempt& attempt,
                                     const JobSubmission& submission) {
  JobRecord job;
  job.id = auth::RandomBase64Url(kJobIdBytes);
  job.hospital_id = principal.hospital_id;
  job.hospital_name = principal.hospital_name;
  job.username = principal.username;
  job.role = principal.role;
  job.request = JobRequestJson(request);
  const auto now = std::chrono::system_clock::now();
  job.archive_name = ArchiveName(request, now);
  job.created_at = Iso8601(now);
  job.destination_id = submission.destination_id;
  job.schedule_id = submission.schedule_id;

  ExportAttempt audited = attempt;
  audited.target = AuditTarget(request);
  audited.parameters = JobParameters(job.request, job.id, job.destination_id);
  AuditCompletion completion;
  // Quick at any scale: the totals of an export of all and the estimated size are
  // filled in when the job runs.
  Result<ExportSummary> summary = exports_.Check(principal, request);
  if (summary.ok()) {
    if (Status destination = CheckDestination(principal, job); !destination.ok()) {
      summary = destination.error();
    } else if (job.destination_id != 0 && delivery_->TakesInstances(job)) {
      if (request.options.format != ExportFormat::kZip) {
        summary = InvalidInput(
            "the destination is a PACS, which takes the DICOM instances "
            "themselves: format " +
            std::string(FormatName(request.options.format)) +
            " has no meaning for it (leave format out)");
      } else if (request.options.include_images == IncludeImages::kNo) {
        summary = InvalidInput(
            "the destination is a PACS, which takes the images: "
            "includeImages must not be false");
      }
    }
  }
  if (!summary.ok()) {
    completion.outcome =
        summary.error().http_status() < 500 ? AuditOutcome::kDenied : AuditOutcome::kFailed;
    completion.detail = Detail(summary.error());
    Audit(audited, principal, completion);
    return summary.error();
  }
  job.progress.instances_total = std::max<std::int64_t>(summary->instance_count, 0);
  job.archive_name = summary->archive_name;  // pseudonymous when de-identified
  if (Status added = index_.AddJob(job); !added.ok()) {
    completion.outcome = AuditOutcome::kFailed;
    completion.detail = Detail(added.error());
    Audit(audited, principal, completion);
    return added.error();
  }
  completion.detail = "queued";
  Audit(audited, principal, completion);
  Wake();
  return job;
}

Result<JobRecord> ExportJobs::Get(const Principal& principal, const std::string& id) {
  auto job = index_.GetJob(principal.hospital_id, id);
  if (!job.ok()) return job;
  if (!Visible(principal, *job)) return NotFound("no such export job");
  if (job->state == JobState::kRunning || job->state == JobState::kDelivering) {
    // This process's own count is fresher than the one last recorded.
    std::lock_guard lock(mutex_);
    if (const auto it = running_.find(id); it != running_.end() && !it->second->finished) {
      job->progress = ProgressOf(*it->second);
    }
  }
  return job;
}

Result<Page<JobRecord>> ExportJobs::List(const Principal& principal, const PageRequest& page) {
  JobQuery query;
  query.hospital_id = principal.hospital_id;
  if (principal.role != Role::kAdmin) query.username = principal.username;
  query.page = page;
  return index_.ListJobs(query);
}

Result<JobRecord> ExportJobs::Cancel(const Principal& principal, const std::string& id,
                                     const ExportAttempt& attempt) {
  // A job may move on between the read and the change (queued to running, running to
  // done): compare and set, and look again when another change won.
  for (int attempts = 0; attempts < 4; ++attempts) {
    auto job = Get(principal, id);
    if (!job.ok()) return job;
    JobRecord to = *job;
    std::string done;
    switch (job->state) {
      case JobState::kQueued:
      case JobState::kRunning:
      case JobState::kDelivering:
        to.state = JobState::kCancelled;
        to.finished_at = Now();
        to.error = "cancelled by " + principal.username;
        done = "cancelled";
        break;
      case JobState::kDone:
      case JobState::kDelivered:
        if (job->archive_sha256.empty()) return job;
        if (Status s = RemoveArchive(*job); !s.ok()) return s.error();
        to = WithoutArchive(*job);
        done = "archive deleted";
        break;
      case JobState::kFailed:
      case JobState::kCancelled:
        return job;
    }
    auto changed = index_.TransitionJob(job->state, to);
    if (!changed.ok()) return changed.error();
    if (!*changed) continue;
    if (to.state == JobState::kCancelled) ProcessMetrics().JobFinished(JobStateName(to.state));
    if (job->state == JobState::kRunning || job->state == JobState::kDelivering) {
      std::lock_guard lock(mutex_);
      if (const auto it = running_.find(id); it != running_.end()) it->second->stop.request_stop();
    }
    ExportAttempt audited = attempt;
    audited.target = id;
    AuditCompletion completion;
    completion.detail = done;
    Audit(audited, principal, completion);
    Wake();
    return Get(principal, id);
  }
  return Error(ErrorCode::kConflict, "the job kept changing; try again");
}

Result<std::unique_ptr<ArchiveDownload>> ExportJobs::OpenArchive(const Principal& principal,
                                                                 const std::string& id,
                                                                 const ExportAttempt& attempt) {
  auto job = Get(principal, id);
  if (!job.ok()) return job.error();
  const bool kept = job->state == JobState::kDone || job->state == JobState::kDelivered;
  if (!kept || job->archive_sha256.empty()) {
    return NotFound("this job has no archive: it is not done, or its archive was removed");
  }
  auto request = StoredRequest(job->request);
  if (!request.ok())
    return Internal("a job's request does not parse: " + request.error().message());
  const auto path = JobArchiveFile::FinalPath(settings_.directory, id, Extension(*request));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("this job's archive was removed");
  ExportAttempt audited = attempt;
  audited.target = id;
  AuditRecord record = AuditRecordOf(audited, principal);
  record.scope = ScopeName(request->scope);
  record.target_label = job->archive_name + " (job " + id + ")";
  auto audit_id = index_.OpenAudit(record);
  if (!audit_id.ok()) {
    ::close(fd);
    return Unavailable("the download cannot be audited right now");
  }
  const std::string type =
      IsArchive(request->options.format) ? "application/zip" : "application/json";
  return std::make_unique<ArchiveDownload>(index_, *audit_id, fd, std::move(*job), type);
}

void ExportJobs::Loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    Reap();
    if (std::chrono::steady_clock::now() - last_renewal_ >=
        std::chrono::milliseconds(settings_.lease) / 3) {
      RenewLeases();
      last_renewal_ = std::chrono::steady_clock::now();
    }
    StartAdmitted();
    RecordProgress();
    if (std::chrono::steady_clock::now() - last_sweep_ >= kSweepInterval) {
      SweepArchives();
      last_sweep_ = std::chrono::steady_clock::now();
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, settings_.tick, [this] { return woken_; });
    woken_ = false;
  }
}

void ExportJobs::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void ExportJobs::Reap() {
  std::vector<std::unique_ptr<Running>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->second->finished) {
        finished.push_back(std::move(it->second));
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
  }
  finished.clear();  // joins threads that have ended their work
}

void ExportJobs::StartAdmitted() {
  // Queued jobs, and jobs of replicas that died: polled every tick, so that a job
  // submitted on another replica runs here when this one has room.
  auto claimable = index_.ListClaimableJobs(Now());
  if (!claimable.ok()) return;
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  std::vector<bool> taken(claimable->size(), false);
  for (size_t i = 0; i < claimable->size(); ++i) {
    taken[i] = running_.contains((*claimable)[i].id);  // its lease lapsed here: it stops
  }
  const JobLimits limits{settings_.max_running, settings_.max_running_per_hospital,
                         settings_.max_running_per_user};
  while (true) {
    std::vector<const JobRecord*> active;
    for (const auto& [id, job] : running_) active.push_back(&job->job);
    const std::optional<size_t> best = NextJobToStart(*claimable, taken, active, limits);
    if (!best) return;
    taken[*best] = true;
    const JobRecord& candidate = (*claimable)[*best];
    auto claimed = index_.ClaimJob(candidate.id, LeaseFromNow());
    if (!claimed.ok() || !*claimed) continue;  // cancelled, or another replica's meanwhile
    if (candidate.state != JobState::kQueued) {
      spdlog::warn("event=job_taken_over job={} from={} attempt={}", candidate.id,
                   candidate.lease_owner, (*claimed)->attempt);
    }
    JobArchiveFile::RemovePartials(settings_.directory, candidate.id);
    auto running = std::make_unique<Running>();
    running->job = std::move(**claimed);
    Running& started = *running;
    running_[started.job.id] = std::move(running);
    started.thread = std::jthread([this, &started] {
      Run(started);
      {
        std::lock_guard done(mutex_);
        started.finished = true;
      }
      Wake();
    });
  }
}

LeaseTerms ExportJobs::LeaseFromNow() const {
  const auto now = std::chrono::system_clock::now();
  return {replica_, Iso8601(now), Iso8601(now + settings_.lease)};
}

void ExportJobs::RenewLeases() {
  const LeaseTerms lease = LeaseFromNow();
  if (Status s = index_.RecordHeartbeat(replica_, lease.now); !s.ok()) {
    spdlog::warn("event=heartbeat_not_recorded replica={} error={}", replica_, s.error().name());
    return;
  }
  auto held = index_.RenewJobLeases(lease);
  if (held.ok()) {
    std::lock_guard lock(mutex_);
    for (auto& [id, running] : running_) {
      if (!running->finished && std::ranges::find(*held, id) == held->end()) {
        spdlog::warn("event=job_lease_lost job={} replica={}", id, replica_);
        running->stop.request_stop();
      }
    }
  }
  const std::string alive_since = Iso8601(std::chrono::system_clock::now() - settings_.lease);
  auto interrupted = index_.FailInterruptedAudits(alive_since, UnownedAudits::kKeep);
  if (interrupted.ok() && *interrupted > 0) {
    spdlog::warn("event=audit_recovered interrupted_exports={}", *interrupted);
  }
}

bool ExportJobs::HoldsLease(const std::string& id) {
  auto held = index_.RenewJobLeases(LeaseFromNow());
  return held.ok() && std::ranges::find(*held, id) != held->end();
}

void ExportJobs::RecordProgress() {
  std::vector<std::pair<std::string, JobProgress>> progress;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, running] : running_) {
      if (!running->finished) progress.emplace_back(id, ProgressOf(*running));
    }
  }
  for (const auto& [id, now] : progress) {
    auto recorded = index_.SetJobProgress(id, replica_, now);
    if (!recorded.ok()) {
      spdlog::warn("event=job_progress_not_recorded job={} error={}", id, recorded.error().name());
    } else if (!*recorded) {  // cancelled or taken over (or just ended): stop
      std::lock_guard lock(mutex_);
      if (const auto it = running_.find(id); it != running_.end()) it->second->stop.request_stop();
    }
  }
}

void ExportJobs::SweepArchives() {
  auto done = index_.ListJobsInState(JobState::kDone);
  auto delivered = index_.ListJobsInState(JobState::kDelivered);
  if (!done.ok() || !delivered.ok()) return;
  done->insert(done->end(), delivered->begin(), delivered->end());
  std::stable_sort(done->begin(), done->end(), [](const JobRecord& a, const JobRecord& b) {
    return a.finished_at < b.finished_at;
  });
  const std::string now = Now();
  std::uint64_t kept = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, running] : running_) kept += running->progress.bytes_done;
  }
  std::vector<const JobRecord*> archives;  // oldest first
  for (const JobRecord& job : *done) {
    if (job.archive_sha256.empty()) continue;
    if (job.expires_at <= now) {
      DropArchive(job, "expired");
      continue;
    }
    archives.push_back(&job);
    kept += static_cast<std::uint64_t>(job.archive_size);
  }
  for (const JobRecord* oldest : archives) {
    if (kept <= settings_.disk_quota_bytes) break;
    if (DropArchive(*oldest, "disk_quota")) {
      kept -= static_cast<std::uint64_t>(oldest->archive_size);
    }
  }
}

bool ExportJobs::DropArchive(const JobRecord& job, std::string_view reason) {
  Status removed = RemoveArchive(job);
  if (removed.ok()) {
    auto cleared = index_.TransitionJob(job.state, WithoutArchive(job));
    if (!cleared.ok()) removed = cleared.error();
  }
  if (!removed.ok()) {
    spdlog::error("event=job_archive_not_removed job={} error={}", job.id, removed.error().name());
    return false;
  }
  spdlog::info("event=job_archive_removed job={} reason={}", job.id, reason);
  return true;
}

Status ExportJobs::RemoveArchive(const JobRecord& job) {
  auto request = StoredRequest(job.request);
  if (!request.ok()) return request.error();
  std::error_code error;
  std::filesystem::remove(
      JobArchiveFile::FinalPath(settings_.directory, job.id, Extension(*request)), error);
  if (error) return Unavailable("cannot remove the job's archive: " + error.message());
  return Status::Ok();
}

void ExportJobs::Run(Running& running) {
  const RunningJob counted;
  const JobRecord& job = running.job;  // its progress changes under mutex_: see Current
  auto fail = [&](const Error& error) {
    JobRecord to = Current(running);
    to.state = JobState::kFailed;
    to.finished_at = Now();
    to.error = error.message();
    to.progress.instances_done = running.progress.instances_done;
    to.progress.bytes_done = 0;  // nothing of it is kept
    Finish(running, to);
  };
  // The submitter must still hold the role in the hospital the job was made with.
  auto user = index_.FindUser(job.username);
  if (!user.ok() || user->hospital_id != job.hospital_id || user->role != job.role) {
    return fail(Forbidden("the user who submitted this job no longer holds its rights"));
  }
  auto request = StoredRequest(job.request);
  if (!request.ok()) return fail(request.error());
  const Principal principal{job.username, job.hospital_id, job.hospital_name, job.role};
  // Its destination may have been removed since: fail before the export, not after.
  if (Status destination = CheckDestination(principal, job); !destination.ok()) {
    return fail(destination.error());
  }
  const ExportAttempt attempt{"", "JOB /api/export/jobs/:id", AuditTarget(*request),
                              JobParameters(job.request, job.id, job.destination_id), ""};
  auto session = exports_.BeginJob(attempt, principal, *request);
  if (!session.ok()) return fail(session.error());
  if (Status counted = (*session)->CountTotals(); !counted.ok()) return fail(counted.error());
  {
    std::lock_guard lock(mutex_);
    running.job.progress.instances_total = (*session)->plan().instance_count;
  }
  if (job.destination_id != 0 && delivery_->TakesInstances(job)) return Push(running, **session);
  // The estimated size sums every instance of the scope in the database (seconds at
  // millions of instances): it runs beside the export, whose progress shows it when
  // ready. Waited for (the future's destructor) before the job ends.
  auto estimated = std::async(std::launch::async, [this, &running, principal, request = *request] {
    auto estimate = EstimateExport(index_, principal, request, std::chrono::system_clock::now());
    if (!estimate.ok()) return;
    std::lock_guard lock(mutex_);
    running.job.progress.bytes_total = estimate->estimated_bytes;
  });
  auto file = JobArchiveFile::Create(settings_.directory, job.id, job.attempt, Extension(*request),
                                     settings_.disk_quota_bytes);
  if (!file.ok()) return fail(file.error());
  Status written = (*session)->Deliver(**file, running.stop.get_token(), &running.progress);
  // Only the holder of the lease, renewed just now for a whole lease, puts its archive
  // under the final name.
  if (written.ok() && !HoldsLease(job.id)) running.stop.request_stop();
  if (written.ok() && !running.stop.stop_requested()) written = (*file)->Commit();
  if (!written.ok() || running.stop.stop_requested()) {
    if (!running.stop.stop_requested()) return fail(written.error());
    std::lock_guard lock(mutex_);
    if (stopping_) Requeue(job);  // else cancelled or taken over: recorded by the winner
    return;
  }
  JobRecord to = Current(running);
  to.state = JobState::kDone;
  to.finished_at = Now();
  to.progress.instances_done = running.progress.instances_done;
  to.progress.bytes_done = static_cast<std::int64_t>((*file)->size());
  to.progress.bytes_total = to.progress.bytes_done;
  to.archive_size = to.progress.bytes_done;
  to.archive_sha256 = (*file)->sha256();
  to.expires_at = Iso8601(std::chrono::system_clock::now() + settings_.retention);
  if (job.destination_id != 0) {
    return Deliver(running, std::move(to),
                   JobArchiveFile::FinalPath(settings_.directory, job.id, Extension(*request)));
  }
  Finish(running, to);
}

void ExportJobs::Deliver(Running& running, JobRecord done, const std::filesystem::path& archive) {
  JobRecord delivering = done;
  delivering.state = JobState::kDelivering;
  delivering.finished_at.clear();
  {
    std::lock_guard lock(mutex_);
    running.job = delivering;
  }
  auto moved = index_.TransitionJob(JobState::kRunning, delivering);
  if (!moved.ok() || !*moved) return Finish(running, done);  // cancelled: removes the archive

  AuditRecord record = DeliveryAuditRecord(done);
  const auto started = std::chrono::steady_clock::now();
  auto sent = delivery_->Deliver(done, archive, running.stop.get_token(), running.delivered_bytes);

  AuditCompletion completion;
  completion.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
  JobRecord to = Current(running);
  if (sent.ok()) {
    to.state = JobState::kDelivered;
    to.finished_at = Now();
    to.delivered_to = sent->where;
    to.progress.bytes_done = to.archive_size;
    if (sent->keep_archive_until > to.expires_at) to.expires_at = sent->keep_archive_until;
    completion.detail = sent->where;
    completion.bytes_sent = to.archive_size;
    completion.entries = 1;
    completion.content_sha256 = to.archive_sha256;
  } else {
    completion.outcome = AuditOutcome::kFailed;
    completion.detail = Detail(sent.error());
    if (running.stop.stop_requested()) {
      completion.outcome = AuditOutcome::kAborted;
      std::lock_guard lock(mutex_);
      if (stopping_) completion.detail = "the server stopped; the job runs again at its start";
    }
    to = WithoutArchive(to);
    to.state = JobState::kFailed;
    to.finished_at = Now();
    to.error = "delivery failed: " + sent.error().message();
  }
  AuditAction(index_, record, completion);
  if (!sent.ok()) {
    if (Status s = RemoveArchive(done); !s.ok()) {
      spdlog::error("event=job_archive_not_removed job={} error={}", done.id, s.error().name());
    }
    if (running.stop.stop_requested()) {
      std::lock_guard lock(mutex_);
      if (stopping_) Requeue(delivering);  // else cancelled or taken over: recorded so
      return;
    }
  }
  Finish(running, to);
}

void ExportJobs::Push(Running& running, ExportSession& session) {
  JobRecord delivering = Current(running);
  delivering.state = JobState::kDelivering;
  {
    std::lock_guard lock(mutex_);
    running.job = delivering;
  }
  auto moved = index_.TransitionJob(JobState::kRunning, delivering);
  if (!moved.ok() || !*moved) {  // cancelled meanwhile: Cancel has recorded it
    session.CompletePush(Unavailable("the job was cancelled before its push"), true, "");
    return;
  }
  AuditRecord record = DeliveryAuditRecord(delivering);
  const auto started = std::chrono::steady_clock::now();
  const std::stop_token stop = running.stop.get_token();
  auto pushed = delivery_->Push(delivering, session.Instances(), stop, running.pushed_instances);

  const Status outcome = !pushed.ok()              ? Status(pushed.error())
                         : pushed->refused.empty() ? Status::Ok()
                                                   : Status(InvalidInput(pushed->refused));
  const bool stopped = !pushed.ok() && stop.stop_requested();
  session.CompletePush(outcome, stopped, pushed.ok() ? pushed->report : "");
  AuditCompletion completion;
  completion.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
  completion.instances = running.pushed_instances.load();
  JobRecord to = Current(running);
  to.finished_at = Now();
  to.progress.instances_done = running.pushed_instances.load();
  if (pushed.ok()) to.delivered_to = pushed->report;
  if (outcome.ok()) {
    to.state = JobState::kDelivered;
    completion.detail = pushed->report;
  } else {
    to.state = JobState::kFailed;
    to.error = "delivery failed: " + outcome.error().message();
    completion.outcome = stopped ? AuditOutcome::kAborted : AuditOutcome::kFailed;
    completion.detail =
        pushed.ok() ? outcome.error().message() + "; " + pushed->report : Detail(outcome.error());
  }
  if (stopped) {
    std::lock_guard lock(mutex_);
    if (stopping_) completion.detail = "the server stopped; the job runs again at its start";
  }
  AuditAction(index_, record, completion);
  if (stopped) {
    std::lock_guard lock(mutex_);
    if (stopping_) Requeue(delivering);  // else cancelled or taken over: recorded so
    return;
  }
  Finish(running, to);
}

AuditRecord ExportJobs::DeliveryAuditRecord(const JobRecord& job) {
  const Principal owner{job.username, job.hospital_id, job.hospital_name, job.role};
  AuditRecord record = AuditRecordOf({"", "DELIVER /api/export/jobs/:id", job.id, "{}", ""}, owner);
  record.scope = nlohmann::json::parse(job.request).value("scope", "");
  record.target_label = delivery_->DestinationLabel(job);
  record.parameters = JobParameters(job.request, job.id, job.destination_id);
  return record;
}

void ExportJobs::Requeue(const JobRecord& job) {
  JobRecord again = WithoutArchive(job);
  again.state = JobState::kQueued;
  again.started_at.clear();
  again.progress.instances_done = 0;
  again.progress.bytes_done = 0;
  if (auto requeued = index_.TransitionJob(job.state, again); !requeued.ok()) {
    spdlog::warn("event=job_not_requeued job={} error={}", job.id, requeued.error().name());
  }
}

JobProgress ExportJobs::ProgressOf(const Running& running) {
  JobProgress now = running.job.progress;
  if (running.job.state == JobState::kDelivering && running.job.archive_sha256.empty()) {
    now.instances_done = running.pushed_instances.load();  // a push: no archive
  } else if (running.job.state == JobState::kDelivering) {
    now.bytes_done = static_cast<std::int64_t>(running.delivered_bytes.load());
    now.bytes_total = running.job.archive_size;
  } else {
    now.instances_done = running.progress.instances_done;
    now.bytes_done = static_cast<std::int64_t>(running.progress.bytes_done);
  }
  return now;
}

JobRecord ExportJobs::Current(const Running& running) {
  std::lock_guard lock(mutex_);
  return running.job;
}

void ExportJobs::Finish(Running& running, JobRecord to) {
  auto changed = index_.TransitionJob(Current(running).state, to);
  if (changed.ok() && *changed) {
    ProcessMetrics().JobFinished(JobStateName(to.state));
    return;
  }
  // Cancelled meanwhile (or the index failed): the archive, if any, must not stay.
  if (!to.archive_sha256.empty()) {
    if (Status s = RemoveArchive(to); !s.ok()) {
      spdlog::error("event=job_archive_not_removed job={} error={}", to.id, s.error().name());
    }
  }
  if (!changed.ok()) {
    spdlog::error("event=job_state_not_recorded job={} error={}", running.job.id,
                  changed.error().name());
  }
}

Status ExportJobs::CheckDestination(const Principal& principal, const JobRecord& job) {
  if (job.destination_id == 0) return Status::Ok();
  if (delivery_ == nullptr) return NotFound("this server delivers to no destination");
  return delivery_->CheckDestination(principal, job.destination_id);
}

bool ExportJobs::Visible(const Principal& principal, const JobRecord& job) const {
  if (job.hospital_id != principal.hospital_id) return false;
  return principal.role == Role::kAdmin || job.username == principal.username;
}

void ExportJobs::Audit(const ExportAttempt& attempt, const Principal& principal,
                       const AuditCompletion& completion) {
  AuditAction(index_, AuditRecordOf(attempt, principal), completion);
}

}  // namespace pacsport
