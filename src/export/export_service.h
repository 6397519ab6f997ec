// ExportService: runs one export attempt from audit record to delivered bytes.
//
// At most `max_concurrent` exports run at once (planning and delivery), and of them
// at most a share per hospital and per user (ExportCapacity); an attempt beyond that
// is refused before any planning, so that exports cannot starve the rest of the
// server and one user cannot starve the others: kTooManyRequests (429) over a
// user's or hospital's share, kUnavailable (503) when the server is full.
//
// A hospital may have a maximum export size (ExportSizeLimits): a plan whose
// estimate is over it is refused with kPayloadTooLarge (413) before a byte is sent.
//
// A de-identified export (ExportOptions::deidentify) is planned with its project's
// de-identifier, the project key derived from `deidentify_keys` for the principal's
// hospital; without keys it is refused with kUnavailable. A hospital's
// DeidentifyPolicy refuses (kForbidden) a plain export by a role that must receive
// de-identified data only; Check, Admit and Assess refuse it as Begin does.
//
// Before an archive with images is delivered, every source holding one of its
// instances is checked: one that cannot be reached refuses the export with
// kUnavailable (503) before a byte is sent.
//
// Every attempt is audited, refused ones included: Begin writes the audit record
// before anything else and refuses the export with kUnavailable if it cannot. A
// refusal (bad token, bad parameters, another hospital's data) completes the record
// as "denied" (4xx) or "failed" (5xx), or "over_capacity" when no export slot was
// free. Once planned, the record lists the studies in the export's scope and a
// readable name of its target (audit_scope.h); a delivery records the SHA-256 of the
// bytes it delivered. An ExportSession completes it with the
// delivery's outcome: success, failed (the source failed), or aborted (the client
// went away, or the session was dropped before delivering). An exception while
// delivering (out of memory, a bug) ends the delivery as "failed" and is returned as
// its Error; it never escapes Deliver.
// Thread-safe: sessions are independent; one session is used by one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "core/byte_sink.h"
#include "core/error.h"
#include "core/message_signer.h"
#include "deid/project_keys.h"
#include "export/deidentify_policy.h"
#include "export/export_capacity.h"
#include "export/export_estimate.h"
#include "export/export_plan.h"
#include "export/export_size_limit.h"
#include "export/packager.h"
#include "export/plan_instance_feed.h"
#include "export/planner.h"
#include "index/index.h"
#include "storage/source_router.h"

namespace pacsport {

// Who asked for what, as the audit record shows it.
struct ExportAttempt {
  std::string client_address;
  std::string endpoint;         // route pattern, e.g. "GET /api/export/study/:studyUID"
  std::string target;           // the ID as requested (may be invalid)
  std::string parameters;       // the request's options as a JSON object
  std::string request_id = {};  // X-Request-Id; "" outside HTTP
  std::string scope = {};       // recorded when the request itself is refused
  // Set for an attempt refused for a reason outside its request (a used or expired
  // download link, whose request is known): it is planned only so that its record names
  // the target and lists the studies, then refused with this error, taking no slot.
  std::optional<Error> refusal = {};
};

struct ExportServiceLimits {
  ExportShares shares;
  ExportSizeLimits size;
  PackagerLimits packager;
  DeidentifyPolicy deidentify_policy;
  // The secret project keys derive from; null: de-identified exports are refused.
  std::shared_ptr<const deid::ProjectKeys> deidentify_keys;
};

class ExportSession {
 public:
  // `grant` is empty for an export job, which the job queue admits (export_jobs.h).
  // `signer`, when given, signs the receipt.json that ends a ZIP archive
  // (export_receipt.h); `request_id` is the attempt's, which the receipt names.
  ExportSession(Index& index, DicomSource& source, preview::PreviewPool& previews,
                std::unique_ptr<PlannedExport> plan, RowId audit_id, std::string target_label,
                std::optional<ExportCapacity::Grant> grant, const PackagerLimits& packager,
                std::string request_id, std::shared_ptr<const PublicKeySigner> signer);
  ~ExportSession();
  ExportSession(const ExportSession&) = delete;
  ExportSession& operator=(const ExportSession&) = delete;

  // What is known of the export before it is written; its patients, studies and
  // instances are walked from the plan's index snapshot, held until the session ends.
  // An export of all has instance_count and dicom_bytes -1 until CountTotals.
  const ExportSummary& plan() const { return plan_->summary(); }
  // Counts the instances and bytes of an export of all (seconds at millions of
  // instances), so that plan() has them. Call before Deliver, on its thread.
  Status CountTotals() { return plan_->CountTotals(); }
  // "application/zip" or "application/json".
  std::string content_type() const;

  // Writes the whole export to `sink` and completes the audit record. Returns the
  // error when the export did not complete; bytes already written must then be
  // discarded by the caller (the HTTP layer aborts the connection). `progress`, when
  // given, counts what has been written. Call once.
  Status Deliver(ByteSink& sink, std::stop_token stop = {}, ExportProgress* progress = nullptr);

  // The export's instances as files to send to another PACS (a push), in place of
  // Deliver: owned by the session, valid while it lives. Call CountTotals first, and
  // CompletePush when the push has ended.
  InstanceFeed& Instances();
  // Completes the audit record of a push with its outcome ("aborted" when `stopped`)
  // and `detail` (the push's report or error), counting what the feed gave.
  void CompletePush(const Status& outcome, bool stopped, std::string detail);

 private:
  void Complete(const AuditCompletion& completion);

  Index& index_;
  DicomSource& source_;
  preview::PreviewPool& previews_;
  const std::unique_ptr<PlannedExport> plan_;
  const RowId audit_id_;
  const std::string target_label_;
  const std::optional<ExportCapacity::Grant> grant_;  // held until the session is destroyed
  const PackagerLimits packager_;
  const std::string request_id_;
  const std::shared_ptr<const PublicKeySigner> signer_;  // null: archives without a receipt
  const std::chrono::steady_clock::time_point started_;
  std::unique_ptr<PlanInstanceFeed> feed_;  // made by Instances
  bool completed_ = false;
};

class ExportService {
 public:
  // Borrows all three; they must outlive the service and its sessions, and the
  // service must outlive its sessions. `signer`, when given, signs the receipt of
  // every ZIP export; without it, archives have no receipt.json.
  ExportService(Index& index, SourceRouter& sources, preview::PreviewPool& previews,
                const ExportServiceLimits& limits = {},
                std::shared_ptr<const PublicKeySigner> signer = nullptr)
      : index_(index),
        sources_(sources),
        previews_(previews),
        limits_(limits),
        signer_(std::move(signer)),
        capacity_(limits.shares) {}

  // Audits the attempt, then plans it for `principal`. `principal` or `request`
  // may carry the error that already refused the attempt (authentication,
  // parameter validation): it is audited and returned.
  Result<std::unique_ptr<ExportSession>> Begin(const ExportAttempt& attempt,
                                               const Result<Principal>& principal,
                                               const Result<ExportRequest>& request);

  // As Begin, for an export job that the job queue has admitted: takes no share of
  // the capacity of direct exports.
  Result<std::unique_ptr<ExportSession>> BeginJob(const ExportAttempt& attempt,
                                                  const Principal& principal,
                                                  const ExportRequest& request);

  // Refuses `request` as Begin would (invalid, forbidden, not found, over the
  // hospital's size limit) without auditing it, and without estimating it unless the
  // hospital has a size limit, so quick at any scale: for a job, refused when
  // submitted. Returns what planning knows (instance_count -1 for an export of all).
  Result<ExportSummary> Check(const Principal& principal, const ExportRequest& request);

  // Estimates the export and refuses it as Begin would (not found, forbidden, over the
  // hospital's size limit), without auditing it.
  Result<ExportEstimate> Admit(const Principal& principal, const ExportRequest& request);

  // Admit, and refused too when Begin would be refused now over a share or over a
  // source it cannot reach (kUnavailable), without taking a slot: for a download link,
  // refused when made rather than when used. Plans the export (as Check) to learn its
  // sources.
  Result<ExportEstimate> Assess(const Principal& principal, const ExportRequest& request);

 private:
  enum class Admission { kShared, kJob };
  Result<std::unique_ptr<ExportSession>> Start(const ExportAttempt& attempt,
                                               const Result<Principal>& principal,
                                               const Result<ExportRequest>& request,
                                               Admission admission);

  // Refuses `request` by the de-identification policy, else gives its de-identifier
  // (null when not de-identified).
  Result<std::shared_ptr<const deid::Deidentifier>> Deidentification(
      const Principal& principal, const ExportRequest& request) const;

  Index& index_;
  SourceRouter& sources_;
  preview::PreviewPool& previews_;
  const ExportServiceLimits limits_;
  const std::shared_ptr<const PublicKeySigner> signer_;
  ExportCapacity capacity_;
};

}  // namespace pacsport
