// ExportJobs: exports that are durable jobs rather than requests. A job is submitted
// (checked as the GET export would be, then queued in the index), run by this
// process when the queue admits it, written to DIR/ID.zip through JobArchiveFile,
// and kept there for download until it expires or the disk quota needs its room.
//
// Durable: a job's state lives in the index. Replicated: several replicas (serve
// processes on one index, docs/decisions/0024) share the queue. A replica claims a job
// (Index::ClaimJob) under a lease it renews every third of `lease` while it lives; a job
// whose replica died (its lease expired) is claimed again by another and runs again from
// the start, into a partial archive of its own attempt. Every change a runner makes to
// its job is conditioned on its lease (Index::TransitionJob, SetJobProgress), so a
// replica that lost its job (taken over, or cancelled on any replica) changes nothing and
// stops at its next progress record or renewal; a job becomes done exactly once, only
// after its archive is complete and synced under its final name.
// Fair: queued jobs start as NextJobToStart (job_admission.h) says, within max_running
// in all, per hospital and per user; a job over a limit waits in the queue, it is
// never refused for capacity.
// Visible: a user sees their own jobs, an admin every job of their hospital; any other
// job is kNotFound, as an absent one.
// Delivered: a job that names a destination goes on, once its archive is complete, to
// "delivering" (JobDelivery sends the archive; its progress counts the bytes sent)
// and ends "delivered" (the archive kept as a done job's) or "failed" (the archive
// removed). An interrupted delivery runs again from the start with its job.
// Pushed: a job whose destination is another PACS (JobDelivery::TakesInstances) makes
// no archive: once planned it goes to "delivering", its instances are pushed one by
// one (progress: instances settled of the total), and it ends "delivered" with the
// push's report as deliveredTo, or "failed": naming the instances the peer refused
// (the report kept), or with the push's error (a peer unreachable after the retries).
// Audited: submission (refusals included), the run (as any export: the plan, the
// outcome, the bytes), the delivery, cancellation and deletion, and every archive
// download.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "core/error.h"
#include "export/export_progress.h"
#include "export/export_service.h"
#include "export/job_delivery.h"
#include "index/index.h"

namespace pacsport {

struct ExportJobSettings {
  std::filesystem::path directory;  // where archives are written; created by Start
  int max_running = 2;              // jobs running at once on this server; >= 1
  int max_running_per_hospital = 2;
  int max_running_per_user = 1;
  std::chrono::seconds retention{std::chrono::hours(24)};    // a finished archive is kept so long
  std::uint64_t disk_quota_bytes = std::uint64_t{10} << 30;  // all archives, kept and in progress
  std::chrono::milliseconds tick{500};  // progress recorded, queue and archives checked
  std::chrono::seconds lease{30};       // a job's and a heartbeat's, renewed every third of it
  std::string replica;  // this replica's id; "" = ThisReplicaId() (core/replica_id.h)
};

// An open finished archive, for one download. Reading from it works even if the job
// is deleted meanwhile. Completes its download's audit record when destroyed, with
// the bytes Read reported as sent.
class ArchiveDownload {
 public:
  ArchiveDownload(Index& index, RowId audit_id, int fd, JobRecord job, std::string content_type);
  ~ArchiveDownload();
  ArchiveDownload(const ArchiveDownload&) = delete;
  ArchiveDownload& operator=(const ArchiveDownload&) = delete;

  const JobRecord& job() const { return job_; }
  std::uint64_t size() const { return static_cast<std::uint64_t>(job_.archive_size); }
  const std::string& content_type() const { return content_type_; }
  // Reads up to `size` bytes at `offset` into `out`; false on a read error.
  bool Read(std::uint64_t offset, size_t size, std::string& out);
  // Marks the download as delivered in full (else it is audited as aborted).
  void Delivered(std::uint64_t bytes_sent);
  // Marks the download as refused (audited as denied, with `detail`).
  void Refused(std::string detail);

 private:
  Index& index_;
  const RowId audit_id_;
  const int fd_;
  const JobRecord job_;
  const std::string content_type_;
  const std::chrono::steady_clock::time_point started_;
  std::uint64_t bytes_sent_ = 0;
  bool delivered_ = false;
  std::string refused_;  // why, when refused
};

// What a job is submitted with beyond its export request.
struct JobSubmission {
  RowId destination_id = 0;  // deliver the archive there (one of the hospital's); 0: keep it
  RowId schedule_id = 0;     // the schedule submitting it; 0: a user
};

class ExportJobs {
 public:
  // Borrows all three; they must outlive this object. `delivery` may be null: jobs
  // with a destination are then refused.
  ExportJobs(Index& index, ExportService& exports, ExportJobSettings settings,
             JobDelivery* delivery = nullptr);
  ~ExportJobs();
  ExportJobs(const ExportJobs&) = delete;
  ExportJobs& operator=(const ExportJobs&) = delete;

  // Creates the directory, records this replica's first heartbeat and starts running
  // the queue.
  Status Start();
  // Stops the jobs running (they are queued again, for any replica) and the queue.
  // Called by the destructor.
  void Stop();

  // Checks `request` as the GET export would (kInvalidInput, kForbidden, kNotFound,
  // kPayloadTooLarge; kNotFound for a destination the hospital does not have), then
  // queues it. `attempt` names the caller for the audit.
  Result<JobRecord> Submit(const Principal& principal, const ExportRequest& request,
                           const ExportAttempt& attempt, const JobSubmission& submission = {});
  Result<JobRecord> Get(const Principal& principal, const std::string& id);
  Result<Page<JobRecord>> List(const Principal& principal, const PageRequest& page);
  // Cancels a queued or running job; removes a finished job's archive. Returns the job
  // as it is then.
  Result<JobRecord> Cancel(const Principal& principal, const std::string& id,
                           const ExportAttempt& attempt);
  // Opens a done job's archive for one download (audited with `attempt`, whose
  // parameters should name the byte range). kNotFound when it has none (any more).
  Result<std::unique_ptr<ArchiveDownload>> OpenArchive(const Principal& principal,
                                                       const std::string& id,
                                                       const ExportAttempt& attempt);

 private:
  struct Running {
    JobRecord job;
    ExportProgress progress;
    std::atomic<std::uint64_t> delivered_bytes{0};  // while delivering an archive
    std::atomic<std::int64_t> pushed_instances{0};  // while pushing
    std::stop_source stop;
    bool finished = false;  // guarded by mutex_
    std::jthread thread;
  };

  void Loop(std::stop_token stop);
  void StartAdmitted();
  // Records each running job's progress; stops those this replica no longer holds.
  void RecordProgress();
  // Renews this replica's heartbeat and job leases, stops the jobs it lost, and fails
  // the audit records in progress of replicas that died.
  void RenewLeases();
  // Renews the leases now; whether this replica still holds job `id`'s.
  bool HoldsLease(const std::string& id);
  // A lease taken or renewed now.
  LeaseTerms LeaseFromNow() const;
  void SweepArchives();
  void Reap();
  void Run(Running& running);
  // The running job's record as it is now.
  JobRecord Current(const Running& running);
  // Its progress as it is now: of the export while running, of the archive's sending
  // while delivering. Called with mutex_ held.
  static JobProgress ProgressOf(const Running& running);
  // Sends a complete archive to the job's destination; `done` is the job as done.
  void Deliver(Running& running, JobRecord done, const std::filesystem::path& archive);
  // Pushes the planned export's instances to the job's destination (no archive), and
  // completes the session's audit record.
  void Push(Running& running, ExportSession& session);
  // The audit record of a job's delivery or push, not yet completed.
  AuditRecord DeliveryAuditRecord(const JobRecord& job);
  // Ends a running (or delivering) job unless a cancel ended it first.
  void Finish(Running& running, JobRecord to);
  // Queues a job interrupted by the server's stop again, for any replica.
  void Requeue(const JobRecord& job);
  Status RemoveArchive(const JobRecord& job);
  // Removes a done job's archive and records that it has none; logs a failure.
  bool DropArchive(const JobRecord& job, std::string_view reason);
  bool Visible(const Principal& principal, const JobRecord& job) const;
  // kNotFound when `job` names a destination that `principal`'s hospital does not have
  // (or this server delivers nowhere); Ok for a job without one.
  Status CheckDestination(const Principal& principal, const JobRecord& job);
  // Records one completed action; logged when the audit cannot take it.
  void Audit(const ExportAttempt& attempt, const Principal& principal,
             const AuditCompletion& completion);
  void Wake();

  Index& index_;
  ExportService& exports_;
  const ExportJobSettings settings_;
  JobDelivery* const delivery_;
  const std::string replica_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool woken_ = false;                                       // guarded by mutex_
  bool stopping_ = false;                                    // guarded by mutex_
  std::map<std::string, std::unique_ptr<Running>> running_;  // by id; guarded by mutex_
  std::chrono::steady_clock::time_point last_sweep_{};       // used by loop_ only
  std::chrono::steady_clock::time_point last_renewal_{};     // used by loop_ only
  std::jthread loop_;
};

}  // namespace pacsport
