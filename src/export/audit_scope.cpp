#include "export/audit_scope.h"

#include <string_view>
#include <vector>

namespace pacsport {
namespace {

constexpr std::size_t kBatch = 1000;

// A DICOM person name (PN) as people write it: "Family, Given Middle Prefix Suffix"
// from "Family^Given^Middle^Prefix^Suffix"; only its first (alphabetic) group.
std::string ReadableName(std::string_view pn) {
  pn = pn.substr(0, pn.find('='));
  std::vector<std::string_view> parts;
  for (std::size_t from = 0;;) {
    const std::size_t caret = pn.find('^', from);
    parts.push_back(pn.substr(from, caret == std::string_view::npos ? caret : caret - from));
    if (caret == std::string_view::npos) break;
    from = caret + 1;
  }
  std::string given;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    if (!given.empty()) given += ' ';
    given += parts[i];
  }
  std::string name(parts[0]);
  if (!given.empty()) name += (name.empty() ? "" : ", ") + given;
  return name;
}

std::string PatientLabel(const std::string& pn, const std::string& id) {
  const std::string name = ReadableName(pn);
  if (name.empty() && id.empty()) return "unidentified patient";
  if (name.empty()) return "(" + id + ")";
  if (id.empty()) return name;
  return name + " (" + id + ")";
}

std::string StudyLabel(const StudyRecord& study) {
  std::string label = study.study_description;
  if (!study.study_date.empty()) label += (label.empty() ? "" : " ") + study.study_date;
  if (label.empty()) label = study.study_instance_uid;
  return label + " · " + PatientLabel(study.patient_name, study.patient_id);
}

// "Series 3 AX T1 (MR) of " and the study's label; the Series UID stands for a series
// with neither number nor description.
Result<std::string> SeriesLabel(Index& index, RowId hospital_id, const std::string& study_uid,
                                const std::string& series_uid, const std::string& study_label) {
  auto series = index.ListStudySeries(hospital_id, study_uid);
  if (!series.ok()) return series.error();
  std::string label;
  for (const SeriesSummary& one : *series) {
    if (one.series_instance_uid != series_uid) continue;
    if (one.series_number) label = std::to_string(*one.series_number);
    if (!one.description.empty()) label += (label.empty() ? "" : " ") + one.description;
    if (!one.modality.empty()) label += " (" + one.modality + ")";
  }
  if (label.empty() || label.front() == ' ') label = series_uid + label;
  return "Series " + label + " of " + study_label;
}

std::string Counted(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Result<std::string> RecordAuditScope(Index& index, PlannedExport& plan, RowId audit_id) {
  std::vector<AuditStudy> batch;
  std::int64_t patients = 0;
  std::int64_t studies = 0;
  std::string first_patient;
  std::string first_study;
  std::string first_study_uid;
  PlanWalk walk = plan.Walk(WalkDepth::kStudies);
  for (;;) {
    auto step = walk.Next();
    if (!step.ok()) return step.error();
    if (*step == PlanWalk::Step::kEnd) break;
    if (*step == PlanWalk::Step::kPatient) {
      const PatientRecord& patient = walk.patient().patient;
      if (patients++ == 0) first_patient = PatientLabel(patient.name, patient.patient_id);
      continue;
    }
    const StudyRecord& study = walk.study()->study;
    if (studies++ == 0) {
      first_study = StudyLabel(study);
      first_study_uid = study.study_instance_uid;
    }
    batch.push_back({study.study_instance_uid, study.patient_id});
    if (batch.size() == kBatch) {
      if (Status added = index.AddAuditStudies(audit_id, batch); !added.ok()) return added.error();
      batch.clear();
    }
  }
  if (Status added = index.AddAuditStudies(audit_id, batch); !added.ok()) return added.error();

  const std::string counts =
      Counted(patients, "patient", "patients") + ", " + Counted(studies, "study", "studies");
  switch (plan.summary().request.scope) {
    case ExportScope::kStudy:
      return first_study;
    case ExportScope::kSeries:
      return SeriesLabel(index, plan.summary().principal.hospital_id, first_study_uid,
                         plan.summary().request.target, first_study);
    case ExportScope::kPatient:
      return first_patient;
    case ExportScope::kAll:
      return "all patients: " + counts;
    case ExportScope::kStudies:
      return Counted(studies, "study", "studies") + " of " +
             Counted(patients, "patient", "patients");
    case ExportScope::kPatients:
      return counts;
  }
  return counts;
}

}  // namespace pacsport
