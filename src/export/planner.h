// Resolves an ExportRequest into a PlannedExport: a summary (counts, sizes, sources,
// names) from aggregate queries, and a snapshot of the index from which the export's
// patients, studies and instances are walked in export order as it is written. All
// queries are scoped to the principal's hospital: another hospital's patient or study
// is kNotFound, exactly as an absent one; kForbidden when a non-admin asks for
// everything; kInvalidInput for malformed IDs.
//
// Memory: a walk holds one patient's studies and one study's instances at a time
// (plus the folder names handed out among siblings), never the whole export; the
// named targets of a batch are at most kMaxBatchTargets. Consistency: every walk of
// one PlannedExport reads the same snapshot (IndexSnapshot), so the instances, the
// metadata document and the checksums of an export agree although a sync writes
// meanwhile, and a second walk gives exactly what the first gave, folder names
// included.
//
// OpenExportPlan and PlanExport are thread-safe. A PlannedExport and its walks are
// used by one thread at a time, one walk at a time (they share the snapshot's
// connection); a walk borrows its PlannedExport.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "index/index.h"
#include "zip/portable_names.h"

namespace pacsport {

// How deep a walk goes: patients only, their studies too, or every instance too.
enum class WalkDepth { kPatients, kStudies, kInstances };

class PlannedExport;

class PlanWalk {
 public:
  enum class Step { kPatient, kStudy, kEnd };

  // Moves to the next patient, or (deeper than kPatients) the next study of the
  // current patient, in export order. kEnd after the last; an index error ends the
  // walk.
  Result<Step> Next();

  // The current patient (studies left empty) and how many studies it has in the
  // export. Valid after a kPatient step, until the next one.
  const PlannedPatient& patient() const { return patient_; }
  std::int64_t study_count() const { return study_count_; }
  // The current study, valid after a kStudy step; its instances (numbered entries)
  // are listed at depth kInstances only. Shared, so that a writer may keep it while
  // its instances are in flight.
  const std::shared_ptr<const PlannedStudy>& study() const { return study_; }

 private:
  friend class PlannedExport;
  PlanWalk(PlannedExport& plan, WalkDepth depth) : plan_(plan), depth_(depth) {}
  Result<std::optional<PatientRecord>> NextPatientRecord();
  Status EnterPatient(PatientRecord record);
  // The study's instances the export holds: all, or a series export's series.
  Result<std::vector<InstanceRecord>> ExportedInstances(const std::string& study_uid);
  // Makes `record` the current study of a disc (format=media): media_names.h.
  Result<Step> NextMediaStudy(StudyRecord& record);

  PlannedExport& plan_;
  const WalkDepth depth_;
  std::unique_ptr<PatientCursor> all_patients_;  // export of all
  std::size_t next_target_ = 0;                  // other exports
  zip::FolderNames patient_folders_;
  zip::FolderNames study_folders_;   // the current patient's
  std::int64_t patient_number_ = 0;  // on a disc: the current patient's, from 1
  std::int64_t study_number_ = 0;    // on a disc: the current study's within its patient
  PlannedPatient patient_;
  std::int64_t study_count_ = 0;
  std::vector<StudyRecord> studies_;  // the current patient's, deeper than kPatients
  std::size_t next_study_ = 0;
  std::shared_ptr<const PlannedStudy> study_;
};

class PlannedExport {
 public:
  const ExportSummary& summary() const { return summary_; }
  // Fills summary().instance_count and dicom_bytes where they are not yet (-1: an
  // export of all), from the snapshot. Not while a walk is under way.
  Status CountTotals();
  // A new walk from the first patient. At most one walk at a time.
  PlanWalk Walk(WalkDepth depth) { return PlanWalk(*this, depth); }

 private:
  friend class PlanWalk;
  friend Result<std::unique_ptr<PlannedExport>> OpenExportPlan(
      Index&, const Principal&, const ExportRequest&, SystemTime,
      std::shared_ptr<const deid::Deidentifier>);
  // A patient of an export other than all: all its studies, or those named.
  struct Target {
    std::string patient_id;
    std::vector<std::string> study_uids;  // empty: all the patient's studies
  };

  ExportSummary summary_;
  std::unique_ptr<IndexSnapshot> snapshot_;
  std::vector<Target> targets_;  // in export order; unused by an export of all
};

// `deidentifier` is required when the request asks for de-identification (the
// caller derives the project's key, export_service.h), and null otherwise.
Result<std::unique_ptr<PlannedExport>> OpenExportPlan(
    Index& index, const Principal& principal, const ExportRequest& request, SystemTime now,
    std::shared_ptr<const deid::Deidentifier> deidentifier = nullptr);

// The target as the archive may show it: AuditTarget, with a de-identified export's
// Patient ID or Study UID replaced by its pseudonym.
std::string ExportedTarget(const ExportRequest& request, const deid::Deidentifier* deidentifier);

// The download's file name of `request` made at `now`, e.g. "study_1.2.3_export.zip",
// "series_1.2.3.4_export.zip",
// "patient_P1_media.zip" for a disc (a valid Study UID is safe in a name; a Patient ID
// is sanitized); pseudonyms in a de-identified export.
std::string ArchiveName(const ExportRequest& request, SystemTime now,
                        const deid::Deidentifier* deidentifier = nullptr);

// The whole plan walked into memory (export_plan.h: ExportPlan), for tests and small
// exports; exactly what a walk of OpenExportPlan's plan gives.
Result<ExportPlan> PlanExport(Index& index, const Principal& principal,
                              const ExportRequest& request, SystemTime now);

}  // namespace pacsport
