#include "export/export_service.h"

#include <spdlog/spdlog.h>

#include <set>

#include "core/clock.h"
#include "export/metadata_document.h"
#include "export/packager.h"
#include "export/planner.h"

namespace pacsport {
namespace {

AuditOutcome OutcomeOfRefusal(const Error& error) {
  return error.http_status() < 500 ? AuditOutcome::kDenied : AuditOutcome::kFailed;
}

// The sources an archive of `plan` reads from.
std::set<std::string> SourcesOf(const ExportPlan& plan) {
  std::set<std::string> names;
  if (!plan.WithImages()) return names;
  for (const PlannedPatient& patient : plan.patients) {
    for (const PlannedStudy& study : patient.studies) {
      for (const PlannedInstance& instance : study.instances) {
        names.insert(instance.record.location.source);
      }
    }
  }
  return names;
}

std::string Detail(const Error& error) {
  return std::string(error.name()) + ": " + error.message();
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
  const auto now = std::chrono::system_clock::now();
  AuditRecord record;
  record.started_at = Iso8601(now);
  record.client_address = attempt.client_address;
  record.endpoint = attempt.endpoint;
  record.target = attempt.target;
  record.parameters = attempt.parameters;
  record.request_id = attempt.request_id;
  if (principal.ok()) {
    record.username = principal->username;
    record.hospital_id = principal->hospital_id;
    record.hospital_name = principal->hospital_name;
  }
  auto audit_id = index_.OpenAudit(record);
  if (!audit_id.ok()) {
    spdlog::error("event=audit_open_failed error={}", audit_id.error().name());
    return Unavailable("the export cannot be audited right now; nothing was exported");
  }

  auto refuse = [&](const Error& error) -> Error {
    AuditCompletion completion;
    completion.outcome = OutcomeOfRefusal(error);
    completion.detail = Detail(error);
    CompleteOrLog(index_, *audit_id, completion);
    return error;
  };
  if (!principal.ok()) return refuse(principal.error());
  if (!request.ok()) return refuse(request.error());
  auto grant = capacity_.TryAcquire(*principal);
  if (!grant.ok()) return refuse(grant.error());
  auto plan = PlanExport(index_, *principal, *request, now);
  if (!plan.ok()) return refuse(plan.error());
  if (const std::int64_t max_bytes = limits_.size.For(principal->hospital_name); max_bytes > 0) {
    auto estimate = EstimateExport(index_, *principal, *request, now);
    if (!estimate.ok()) return refuse(estimate.error());
    if (Status s = CheckExportSize(*estimate, max_bytes); !s.ok()) return refuse(s.error());
  }
  const std::set<std::string> sources = SourcesOf(*plan);
  if (Status reachable = sources_.CheckReachable(sources); !reachable.ok()) {
    return refuse(reachable.error());
  }
  PackagerLimits packager = limits_.packager;
  packager.waiting_reads = sources_.WaitingReads(sources);
  return std::make_unique<ExportSession>(index_, sources_, previews_, std::move(*plan), *audit_id,
                                         std::move(*grant), packager);
}

Result<ExportEstimate> ExportService::Assess(const Principal& principal,
                                             const ExportRequest& request) {
  auto estimate = EstimateExport(index_, principal, request, std::chrono::system_clock::now());
  if (!estimate.ok()) return estimate;
  if (Status s = CheckExportSize(*estimate, limits_.size.For(principal.hospital_name)); !s.ok()) {
    return s.error();
  }
  if (Status s = capacity_.Check(principal); !s.ok()) return s.error();
  return estimate;
}

ExportSession::ExportSession(Index& index, DicomSource& source, preview::PreviewPool& previews,
                             ExportPlan plan, RowId audit_id, ExportCapacity::Grant grant,
                             const PackagerLimits& packager)
    : index_(index),
      source_(source),
      previews_(previews),
      plan_(std::move(plan)),
      audit_id_(audit_id),
      grant_(std::move(grant)),
      packager_(packager),
      started_(std::chrono::steady_clock::now()) {}

ExportSession::~ExportSession() {
  if (!completed_) {
    AuditCompletion completion;
    completion.outcome = AuditOutcome::kAborted;
    completion.detail = "the delivery never started";
    Complete(completion);
  }
}

std::string ExportSession::content_type() const {
  return plan_.request.options.format == ExportFormat::kZip ? "application/zip"
                                                            : "application/json";
}

Status ExportSession::Deliver(ByteSink& sink, std::stop_token stop, ExportProgress* progress) {
  const auto now = std::chrono::system_clock::now();
  AuditCompletion completion;
  Status status;
  if (plan_.request.options.format == ExportFormat::kJson) {
    try {
      const std::string document = BuildMetadataDocument(plan_, {}, false, now);
      status = sink.Write(document.data(), document.size());
      if (status.ok() && progress != nullptr) {
        progress->instances_done += plan_.instance_count;
        progress->bytes_done += document.size();
      }
      completion.outcome = status.ok() ? AuditOutcome::kSuccess : AuditOutcome::kAborted;
      completion.bytes_sent = status.ok() ? static_cast<std::int64_t>(document.size()) : 0;
      completion.entries = 1;
    } catch (const std::exception& e) {
      status = FaultOf(e);
      completion.outcome = AuditOutcome::kFailed;
    }
    if (!status.ok()) completion.detail = Detail(status.error());
  } else {
    const PackageReport report =
        WriteArchive(plan_, source_, previews_, sink, now, std::move(stop), packager_, progress);
    completion.bytes_sent = static_cast<std::int64_t>(report.bytes_written);
    completion.entries = report.entries;
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
  Complete(completion);
  return status;
}

void ExportSession::Complete(const AuditCompletion& completion) {
  AuditCompletion timed = completion;
  timed.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started_)
                          .count();
  CompleteOrLog(index_, audit_id_, timed);
  completed_ = true;
}

}  // namespace pacsport
