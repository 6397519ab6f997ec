#include "export/export_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/clock.h"
#include "core/digest.h"
#include "core/metrics.h"
#include "export/audit_scope.h"
#include "export/export_receipt.h"
#include "export/metadata_document.h"
#include "export/packager.h"
#include "export/planner.h"

namespace pacsport {
namespace {

AuditOutcome OutcomeOfRefusal(const Error& error) {
  return error.http_status() < 500 ? AuditOutcome::kDenied : AuditOutcome::kFailed;
}

// Hashes what passes through it on its way to `sink`: the SHA-256 of the delivery.
class HashingSink final : public ByteSink {
 public:
  explicit HashingSink(ByteSink& sink) : sink_(sink) {}
  Status Write(const char* data, size_t size) override {
    hash_.Update(data, size);
    return sink_.Write(data, size);
  }
  std::string FinishHex() { return hash_.FinishHex(); }

 private:
  ByteSink& sink_;
  Sha256 hash_;
};

std::string Detail(const Error& error) {
  return std::string(error.name()) + ": " + error.message();
}

// A direct export holds a share of the capacity; a job's was admitted by the queue.
ExportKind KindOf(const std::optional<ExportCapacity::Grant>& grant) {
  return grant ? ExportKind::kDirect : ExportKind::kJob;
}

// Counts an attempt refused before it had a session.
void CountRefusal(ExportKind kind, AuditOutcome outcome, const Result<ExportRequest>& request) {
  ProcessMetrics().ExportFinished(
      {kind, AuditOutcomeName(outcome), request.ok() ? ScopeName(request->scope) : "",
       request.ok() ? FormatName(request->options.format) : "", 0, std::nullopt});
}

// The record was opened, so the attempt is on file; a failure to complete it leaves
// it "in_progress" (failed as "interrupted" at the next start) and is logged here.
void CompleteOrLog(Index& index, RowId audit_id, const AuditCompletion& completion) {
  if (Status status = index.CompleteAudit(audit_id, completion); !status.ok()) {
    spdlog::error("event=audit_completion_failed audit_id={} error={}", audit_id,
                  status.error().name());
  }
}

}  // namespace

Result<std::unique_ptr<ExportSession>> ExportService::Begin(const ExportAttempt& attempt,
                                                            const Result<Principal>& principal,
                                                            const Result<ExportRequest>& request) {
  return Start(attempt, principal, request, Admission::kShared);
}

Result<std::unique_ptr<ExportSession>> ExportService::BeginJob(const ExportAttempt& attempt,
                                                               const Principal& principal,
                                                               const ExportRequest& request) {
  return Start(attempt, principal, request, Admission::kJob);
}

Result<std::unique_ptr<ExportSession>> ExportService::Start(const ExportAttempt& attempt,
                                                            const Result<Principal>& principal,
                                                            const Result<ExportRequest>& request,
                                                            Admission admission) {
  const auto now = std::chrono::system_clock::now();
  AuditRecord record;
  record.started_at = Iso8601(now);
  record.client_address = attempt.client_address;
  record.endpoint = attempt.endpoint;
  record.target = attempt.target;
  record.parameters = attempt.parameters;
  record.request_id = attempt.request_id;
  record.scope = request.ok() ? std::string(ScopeName(request->scope)) : attempt.scope;
  if (principal.ok()) {
    record.username = principal->username;
    record.role = RoleName(principal->role);
    record.hospital_id = principal->hospital_id;
    record.hospital_name = principal->hospital_name;
  }
  const ExportKind kind = admission == Admission::kShared ? ExportKind::kDirect : ExportKind::kJob;
  auto audit_id = index_.OpenAudit(record);
  if (!audit_id.ok()) {
    CountRefusal(kind, AuditOutcome::kFailed, request);
    spdlog::error("event=audit_open_failed error={}", audit_id.error().name());
    return Unavailable("the export cannot be audited right now; nothing was exported");
  }

  std::string target_label;
  auto refuse = [&](const Error& error, AuditOutcome outcome = AuditOutcome::kInProgress) -> Error {
    AuditCompletion completion;
    completion.outcome = outcome != AuditOutcome::kInProgress ? outcome : OutcomeOfRefusal(error);
    completion.detail = Detail(error);
    completion.target_label = target_label;
    CompleteOrLog(index_, *audit_id, completion);
    CountRefusal(kind, completion.outcome, request);
    return error;
  };
  if (!principal.ok()) return refuse(principal.error());
  if (!request.ok()) return refuse(request.error());
  if (attempt.refusal) {
    // The record names what was refused, as far as it can still be planned.
    auto deidentifier = Deidentification(*principal, *request);
    auto plan = deidentifier.ok()
                    ? OpenExportPlan(index_, *principal, *request, now, std::move(*deidentifier))
                    : Result<std::unique_ptr<PlannedExport>>(deidentifier.error());
    if (plan.ok()) {
      if (auto label = RecordAuditScope(index_, **plan, *audit_id); label.ok()) {
        target_label = std::move(*label);
      }
    }
    return refuse(*attempt.refusal);
  }
  std::optional<ExportCapacity::Grant> grant;
  if (admission == Admission::kShared) {
    auto acquired = capacity_.TryAcquire(*principal);
    if (!acquired.ok()) return refuse(acquired.error(), AuditOutcome::kOverCapacity);
    grant.emplace(std::move(*acquired));
  }
  auto deidentifier = Deidentification(*principal, *request);
  if (!deidentifier.ok()) return refuse(deidentifier.error());
  auto plan = OpenExportPlan(index_, *principal, *request, now, std::move(*deidentifier));
  if (!plan.ok()) return refuse(plan.error());
  auto label = RecordAuditScope(index_, **plan, *audit_id);
  if (!label.ok()) return refuse(label.error());
  target_label = std::move(*label);
  if (const std::int64_t max_bytes = limits_.size.For(principal->hospital_name); max_bytes > 0) {
    auto estimate = EstimateExport(index_, *principal, *request, now);
    if (!estimate.ok()) return refuse(estimate.error());
    if (Status s = CheckExportSize(*estimate, max_bytes); !s.ok()) return refuse(s.error());
  }
  // The sources an archive reads from (none without images).
  const ExportSummary& summary = (*plan)->summary();
  const std::set<std::string> sources =
      summary.WithImages() ? std::set<std::string>(summary.sources.begin(), summary.sources.end())
                           : std::set<std::string>();
  if (Status reachable = sources_.CheckReachable(sources); !reachable.ok()) {
    return refuse(reachable.error());
  }
  PackagerLimits packager = limits_.packager;
  packager.waiting_reads = sources_.WaitingReads(sources);
  return std::make_unique<ExportSession>(index_, sources_, previews_, std::move(*plan), *audit_id,
                                         std::move(target_label), std::move(grant), packager,
                                         attempt.request_id, signer_);
}

Result<ExportSummary> ExportService::Check(const Principal& principal,
                                           const ExportRequest& request) {
  const auto now = std::chrono::system_clock::now();
  auto deidentifier = Deidentification(principal, request);
  if (!deidentifier.ok()) return deidentifier.error();
  auto plan = OpenExportPlan(index_, principal, request, now, std::move(*deidentifier));
  if (!plan.ok()) return plan.error();
  if (const std::int64_t max_bytes = limits_.size.For(principal.hospital_name); max_bytes > 0) {
    auto estimate = EstimateExport(index_, principal, request, now);
    if (!estimate.ok()) return estimate.error();
    if (Status s = CheckExportSize(*estimate, max_bytes); !s.ok()) return s.error();
  }
  return (*plan)->summary();
}

Result<std::shared_ptr<const deid::Deidentifier>> ExportService::Deidentification(
    const Principal& principal, const ExportRequest& request) const {
  if (Status s = CheckDeidentifyPolicy(limits_.deidentify_policy, principal, request); !s.ok()) {
    return s.error();
  }
  if (!request.options.deidentify) return std::shared_ptr<const deid::Deidentifier>();
  if (!limits_.deidentify_keys) {
    return Unavailable("de-identified exports are not configured on this server");
  }
  const deid::DeidentifyRequest& asked = *request.options.deidentify;
  return std::make_shared<const deid::Deidentifier>(
      limits_.deidentify_keys->For(principal.hospital_name, asked.project), asked);
}

Result<ExportEstimate> ExportService::Admit(const Principal& principal,
                                            const ExportRequest& request) {
  if (Status s = CheckDeidentifyPolicy(limits_.deidentify_policy, principal, request); !s.ok()) {
    return s.error();
  }
  auto estimate = EstimateExport(index_, principal, request, std::chrono::system_clock::now());
  if (!estimate.ok()) return estimate;
  if (Status s = CheckExportSize(*estimate, limits_.size.For(principal.hospital_name)); !s.ok()) {
    return s.error();
  }
  return estimate;
}

Result<ExportEstimate> ExportService::Assess(const Principal& principal,
                                             const ExportRequest& request) {
  auto estimate = Admit(principal, request);
  if (!estimate.ok()) return estimate;
  if (Status s = capacity_.Check(principal); !s.ok()) return s.error();
  auto summary = Check(principal, request);
  if (!summary.ok()) return summary.error();
  // The sources an archive reads from (none without images), as Begin checks them.
  if (summary->WithImages()) {
    const std::set<std::string> sources(summary->sources.begin(), summary->sources.end());
    if (Status reachable = sources_.CheckReachable(sources); !reachable.ok()) {
      return reachable.error();
    }
  }
  return estimate;
}

ExportSession::ExportSession(Index& index, DicomSource& source, preview::PreviewPool& previews,
                             std::unique_ptr<PlannedExport> plan, RowId audit_id,
                             std::string target_label, std::optional<ExportCapacity::Grant> grant,
                             const PackagerLimits& packager, std::string request_id,
                             std::shared_ptr<const PublicKeySigner> signer)
    : index_(index),
      source_(source),
      previews_(previews),
      plan_(std::move(plan)),
      audit_id_(audit_id),
      target_label_(std::move(target_label)),
      grant_(std::move(grant)),
      packager_(packager),
      request_id_(std::move(request_id)),
      signer_(std::move(signer)),
      started_(std::chrono::steady_clock::now()) {
  ProcessMetrics().ExportBegan(KindOf(grant_));
}

ExportSession::~ExportSession() {
  if (!completed_) {
    AuditCompletion completion;
    completion.outcome = AuditOutcome::kAborted;
    completion.detail = "the delivery never started";
    Complete(completion);
  }
  ProcessMetrics().ExportEnded(KindOf(grant_));
}

std::string ExportSession::content_type() const {
  return IsArchive(plan().request.options.format) ? "application/zip" : "application/json";
}

Status ExportSession::Deliver(ByteSink& destination, std::stop_token stop,
                              ExportProgress* progress) {
  const auto now = std::chrono::system_clock::now();
  HashingSink sink(destination);
  AuditCompletion completion;
  Status status;
  if (plan().request.options.format == ExportFormat::kJson) {
    // Streamed from the plan's snapshot as it is written; a sink that fails stops it.
    std::int64_t bytes = 0;
    bool sink_failed = false;
    try {
      status =
          WriteMetadataDocument(*plan_, nullptr, false, now, [&](std::string_view piece) -> Status {
            if (stop.stop_requested()) return Unavailable("export stopped");
            Status written = sink.Write(piece.data(), piece.size());
            if (!written.ok()) {
              sink_failed = true;
              return written;
            }
            bytes += static_cast<std::int64_t>(piece.size());
            if (progress != nullptr) progress->bytes_done += piece.size();
            return written;
          });
      if (status.ok() && progress != nullptr) {
        status = plan_->CountTotals();
        progress->instances_done += std::max<std::int64_t>(plan().instance_count, 0);
      }
      completion.outcome = status.ok() || sink_failed || stop.stop_requested()
                               ? (status.ok() ? AuditOutcome::kSuccess : AuditOutcome::kAborted)
                               : AuditOutcome::kFailed;
    } catch (const std::exception& e) {
      status = FaultOf(e);
      completion.outcome = AuditOutcome::kFailed;
    }
    completion.bytes_sent = bytes;
    completion.entries = 1;
    completion.instances = std::max<std::int64_t>(plan().instance_count, 0);
    if (!status.ok()) completion.detail = Detail(status.error());
  } else {
    const ExportReceipt receipt{audit_id_,
                                request_id_,
                                plan().principal.username,
                                std::string(RoleName(plan().principal.role)),
                                plan().principal.hospital_name,
                                Iso8601(now),
                                std::string(ScopeName(plan().request.scope)),
                                ExportedTarget(plan().request, plan().deidentifier.get()),
                                plan().archive_name,
                                signer_.get()};
    const PackageReport report =
        WriteArchive(*plan_, source_, previews_, sink, now, std::move(stop), packager_, progress,
                     signer_ ? &receipt : nullptr);
    completion.bytes_sent = static_cast<std::int64_t>(report.bytes_written);
    completion.entries = report.entries;
    completion.instances = report.instances;
    switch (report.outcome) {
      case PackageOutcome::kComplete:
        completion.outcome = AuditOutcome::kSuccess;
        break;
      case PackageOutcome::kSinkFailed:
      case PackageOutcome::kStopped:
        completion.outcome = AuditOutcome::kAborted;
        break;
      case PackageOutcome::kSourceFailed:
      case PackageOutcome::kFault:
        completion.outcome = AuditOutcome::kFailed;
        break;
    }
    if (report.error) {
      completion.detail = Detail(*report.error);
      status = *report.error;
    }
  }
  if (completion.outcome == AuditOutcome::kSuccess) completion.content_sha256 = sink.FinishHex();
  Complete(completion);
  return status;
}

InstanceFeed& ExportSession::Instances() {
  if (!feed_) feed_ = std::make_unique<PlanInstanceFeed>(*plan_, source_);
  return *feed_;
}

void ExportSession::CompletePush(const Status& outcome, bool stopped, std::string detail) {
  AuditCompletion completion;
  completion.outcome = outcome.ok() ? AuditOutcome::kSuccess
                                    : (stopped ? AuditOutcome::kAborted : AuditOutcome::kFailed);
  completion.detail = outcome.ok() ? std::move(detail) : Detail(outcome.error());
  if (feed_) {
    completion.instances = feed_->instances_given();
    completion.entries = feed_->instances_given();
    completion.bytes_sent = feed_->bytes_given();
  }
  Complete(completion);
}

void ExportSession::Complete(const AuditCompletion& completion) {
  AuditCompletion timed = completion;
  timed.target_label = target_label_;
  const auto elapsed = std::chrono::steady_clock::now() - started_;
  timed.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  CompleteOrLog(index_, audit_id_, timed);
  ProcessMetrics().ExportFinished(
      {KindOf(grant_), AuditOutcomeName(timed.outcome), ScopeName(plan().request.scope),
       FormatName(plan().request.options.format),
       static_cast<std::uint64_t>(std::max<std::int64_t>(timed.bytes_sent, 0)), elapsed});
  completed_ = true;
}

}  // namespace pacsport
