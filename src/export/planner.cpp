#include "export/planner.h"

#include <algorithm>
#include <unordered_map>

#include "core/names.h"
#include "export/media_names.h"

namespace pacsport {

Result<std::optional<PatientRecord>> PlanWalk::NextPatientRecord() {
  IndexSnapshot& snapshot = *plan_.snapshot_;
  if (plan_.summary_.request.scope == ExportScope::kAll) {
    if (!all_patients_) {
      auto cursor = snapshot.ListAllPatients();
      if (!cursor.ok()) return cursor.error();
      all_patients_ = std::move(*cursor);
    }
    return all_patients_->Next();
  }
  if (next_target_ == plan_.targets_.size()) return std::optional<PatientRecord>();
  auto patient = snapshot.GetPatient(plan_.targets_[next_target_].patient_id);
  if (!patient.ok()) return patient.error();
  return std::optional<PatientRecord>(std::move(*patient));
}

Status PlanWalk::EnterPatient(PatientRecord record) {
  const ExportScope scope = plan_.summary_.request.scope;
  const bool own_folder = !IsSingleStudy(scope) && scope != ExportScope::kPatient;
  const deid::Deidentifier* deidentifier = plan_.summary_.deidentifier.get();
  if (plan_.summary_.request.options.format == ExportFormat::kMedia) {
    auto folder = MediaPatientFolder(++patient_number_);
    if (!folder.ok()) return folder.error();
    patient_.folder = std::move(*folder);
    study_number_ = 0;
  } else {
    patient_.folder =
        own_folder
            ? "patients/" + patient_folders_.Take(deidentifier != nullptr
                                                      ? deidentifier->PatientId(record.patient_id)
                                                      : record.patient_id)
            : "";
  }
  study_folders_ = zip::FolderNames();
  studies_.clear();
  next_study_ = 0;
  const std::vector<std::string>* named =
      scope == ExportScope::kAll ? nullptr : &plan_.targets_[next_target_++].study_uids;
  if (depth_ == WalkDepth::kPatients) {
    study_count_ = named != nullptr && !named->empty() ? static_cast<std::int64_t>(named->size())
                                                       : record.study_count;
  } else if (named != nullptr && !named->empty()) {
    for (const std::string& uid : *named) {
      auto study = plan_.snapshot_->GetStudy(uid);
      if (!study.ok()) return study.error();
      studies_.push_back(std::move(*study));
    }
  } else {
    auto studies = plan_.snapshot_->ListPatientStudies(record.patient_id);
    if (!studies.ok()) return studies.error();
    studies_ = std::move(*studies);
  }
  if (depth_ != WalkDepth::kPatients) study_count_ = static_cast<std::int64_t>(studies_.size());
  patient_.patient = std::move(record);
  return Status::Ok();
}

Result<PlanWalk::Step> PlanWalk::Next() {
  if (next_study_ < studies_.size()) {
    const ExportSummary& summary = plan_.summary_;
    auto planned = std::make_shared<PlannedStudy>();
    StudyRecord& record = studies_[next_study_++];
    if (summary.request.scope == ExportScope::kSeries) {
      // The study as the export holds it: the series alone.
      record.number_of_series = 1;
      record.number_of_instances = summary.instance_count;
      record.total_bytes = summary.dicom_bytes;
    }
    if (summary.request.options.format == ExportFormat::kMedia) return NextMediaStudy(record);
    // A study's or a series' export has no folders; the others have studies/UID under
    // the patient's.
    if (!IsSingleStudy(summary.request.scope)) {
      const deid::Deidentifier* deidentifier = summary.deidentifier.get();
      planned->folder =
          (patient_.folder.empty() ? "" : patient_.folder + "/") + "studies/" +
          study_folders_.Take(deidentifier != nullptr ? deidentifier->Uid(record.study_instance_uid)
                                                      : record.study_instance_uid);
    }
    const std::string directory = planned->folder.empty() ? "" : planned->folder + "/";
    planned->preview_directory = directory + "previews/";
    if (depth_ == WalkDepth::kInstances) {
      auto instances = ExportedInstances(record.study_instance_uid);
      if (!instances.ok()) return instances.error();
      const std::string dicom_directory = planned->folder.empty() ? "dicom/" : directory;
      int number = 1;
      planned->instances.reserve(instances->size());
      for (InstanceRecord& instance : *instances) {
        PlannedInstance item;
        if (summary.WithImages()) {
          item.dicom_entry = dicom_directory + std::to_string(number++) + ".dcm";
        }
        item.record = std::move(instance);
        planned->instances.push_back(std::move(item));
      }
    }
    planned->study = std::move(record);
    study_ = std::move(planned);
    return Step::kStudy;
  }
  auto record = NextPatientRecord();
  if (!record.ok()) return record.error();
  if (!record->has_value()) return Step::kEnd;
  if (Status s = EnterPatient(std::move(**record)); !s.ok()) return s.error();
  return Step::kPatient;
}

Result<std::vector<InstanceRecord>> PlanWalk::ExportedInstances(const std::string& study_uid) {
  auto instances = plan_.snapshot_->ListStudyInstances(study_uid);
  if (!instances.ok()) return instances.error();
  const ExportRequest& request = plan_.summary_.request;
  if (request.scope == ExportScope::kSeries) {
    std::erase_if(*instances, [&](const InstanceRecord& instance) {
      return instance.series_instance_uid != request.target;
    });
  }
  return instances;
}

Result<PlanWalk::Step> PlanWalk::NextMediaStudy(StudyRecord& record) {
  auto names = MediaStudyNames::Make(patient_number_, ++study_number_);
  if (!names.ok()) return names.error();
  auto planned = std::make_shared<PlannedStudy>();
  planned->folder = names->folder();
  planned->preview_directory = names->preview_directory();
  if (depth_ == WalkDepth::kInstances) {
    auto instances = ExportedInstances(record.study_instance_uid);
    if (!instances.ok()) return instances.error();
    planned->instances.reserve(instances->size());
    for (InstanceRecord& instance : *instances) {
      auto entry = names->NextInstance(instance.series_instance_uid);
      if (!entry.ok()) return entry.error();
      planned->instances.push_back({std::move(instance), std::move(*entry)});
    }
  }
  planned->study = std::move(record);
  study_ = std::move(planned);
  return Step::kStudy;
}

namespace {

// Adds `totals` to the summary's counts and sources.
void AddTotals(const SnapshotTotals& totals, ExportSummary& summary) {
  summary.instance_count += totals.instances;
  summary.dicom_bytes += totals.bytes;
  for (const std::string& source : totals.sources) {
    const auto at = std::lower_bound(summary.sources.begin(), summary.sources.end(), source);
    if (at == summary.sources.end() || *at != source) summary.sources.insert(at, source);
  }
}

}  // namespace

Result<std::unique_ptr<PlannedExport>> OpenExportPlan(
    Index& index, const Principal& principal, const ExportRequest& request, SystemTime now,
    std::shared_ptr<const deid::Deidentifier> deidentifier) {
  if (request.options.deidentify.has_value() != (deidentifier != nullptr)) {
    return Internal("a de-identified export is planned with its project's de-identifier");
  }
  // Refusals that need no data come first.
  switch (request.scope) {
    case ExportScope::kStudy:
      if (!IsValidUid(request.target)) return InvalidInput("studyUID is not a valid DICOM UID");
      break;
    case ExportScope::kSeries:
      if (!IsValidUid(request.target)) return InvalidInput("seriesUID is not a valid DICOM UID");
      break;
    case ExportScope::kPatient:
      if (Status s = CheckExportablePatientId(request.target, "patientID"); !s.ok()) {
        return s.error();
      }
      break;
    case ExportScope::kAll:
      if (principal.role != Role::kAdmin) {
        return Forbidden("exporting everything requires the admin role");
      }
      break;
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      if (request.targets.empty()) return InvalidInput("ids must name at least one");
      if (request.targets.size() > kMaxBatchTargets) {
        return InvalidInput("ids may name at most " + std::to_string(kMaxBatchTargets));
      }
      break;
  }

  if (Status s = CheckDiscScope(request); !s.ok()) return s.error();
  if (request.changes && request.scope != ExportScope::kAll) {
    return InvalidInput("an incremental export is an export of all");
  }
  auto snapshot = index.OpenSnapshot(principal.hospital_id);
  if (!snapshot.ok()) return snapshot.error();
  if (request.changes) (*snapshot)->LimitToChanges(*request.changes);
  auto plan = std::make_unique<PlannedExport>();
  plan->snapshot_ = std::move(*snapshot);
  IndexSnapshot& view = *plan->snapshot_;
  ExportSummary& summary = plan->summary_;
  summary.request = request;
  summary.principal = principal;
  summary.deidentifier = std::move(deidentifier);
  auto add_totals = [&](TotalsOf of, const std::string& id) -> Status {
    auto totals = view.Totals(of, id);
    if (!totals.ok()) return totals.error();
    AddTotals(*totals, summary);
    return Status::Ok();
  };

  switch (request.scope) {
    case ExportScope::kStudy: {
      auto study = view.GetStudy(request.target);
      if (!study.ok()) return study.error();
      auto patient = view.GetPatient(study->patient_id);
      if (!patient.ok()) return patient.error();
      plan->targets_.push_back({study->patient_id, {request.target}});
      if (Status s = add_totals(TotalsOf::kStudy, request.target); !s.ok()) return s.error();
      summary.metadata_name = "study_data.json";
      break;
    }
    case ExportScope::kSeries: {
      auto study_uid = view.FindSeriesStudy(request.target);
      if (!study_uid.ok()) return study_uid.error();
      auto study = view.GetStudy(*study_uid);
      if (!study.ok()) return study.error();
      auto patient = view.GetPatient(study->patient_id);
      if (!patient.ok()) return patient.error();
      plan->targets_.push_back({study->patient_id, {*study_uid}});
      if (Status s = add_totals(TotalsOf::kSeries, request.target); !s.ok()) return s.error();
      // The study's layout and document, holding the series alone.
      summary.metadata_name = "study_data.json";
      break;
    }
    case ExportScope::kPatient: {
      auto patient = view.GetPatient(request.target);
      if (!patient.ok()) return patient.error();
      plan->targets_.push_back({request.target, {}});
      if (Status s = add_totals(TotalsOf::kPatient, request.target); !s.ok()) return s.error();
      summary.metadata_name = "patient_data.json";
      break;
    }
    case ExportScope::kAll: {
      // Counted when asked (CountTotals); the sources are found by seeks.
      summary.instance_count = -1;
      summary.dicom_bytes = -1;
      auto sources = view.ListSources();
      if (!sources.ok()) return sources.error();
      summary.sources = std::move(*sources);
      summary.metadata_name = "all_data.json";
      break;
    }
    case ExportScope::kStudies: {
      // Each study under its patient's folder, patients in the order their first study
      // was named, studies in the order named.
      std::unordered_map<std::string, std::size_t> patient_index;  // by Patient ID
      for (const std::string& uid : request.targets) {
        if (!IsValidUid(uid)) return InvalidInput("ids: " + uid + " is not a valid DICOM UID");
        auto study = view.GetStudy(uid);
        if (!study.ok()) return study.error();
        auto [it, added] = patient_index.try_emplace(study->patient_id, plan->targets_.size());
        if (added) {
          auto patient = view.GetPatient(study->patient_id);
          if (!patient.ok()) return patient.error();
          plan->targets_.push_back({study->patient_id, {}});
        }
        plan->targets_[it->second].study_uids.push_back(uid);
        if (Status s = add_totals(TotalsOf::kStudy, uid); !s.ok()) return s.error();
      }
      break;
    }
    case ExportScope::kPatients: {
      for (const std::string& id : request.targets) {
        if (Status s = CheckExportablePatientId(id, "ids"); !s.ok()) return s.error();
        auto patient = view.GetPatient(id);
        if (!patient.ok()) return patient.error();
        plan->targets_.push_back({id, {}});
        if (Status s = add_totals(TotalsOf::kPatient, id); !s.ok()) return s.error();
      }
      break;
    }
  }
  if (request.scope == ExportScope::kStudies || request.scope == ExportScope::kPatients) {
    summary.metadata_name = "batch_data.json";
  }
  summary.archive_name = ArchiveName(request, now, summary.deidentifier.get());
  return plan;
}

std::string ExportedTarget(const ExportRequest& request, const deid::Deidentifier* deidentifier) {
  if (deidentifier == nullptr || IsBatch(request.scope)) return AuditTarget(request);
  switch (request.scope) {
    case ExportScope::kStudy:
    case ExportScope::kSeries:
      return deidentifier->Uid(request.target);
    case ExportScope::kPatient:
      return deidentifier->PatientId(request.target);
    default:
      return AuditTarget(request);
  }
}

std::string ArchiveName(const ExportRequest& request, SystemTime now,
                        const deid::Deidentifier* deidentifier) {
  const bool media = request.options.format == ExportFormat::kMedia;
  const std::string suffix = media ? "_media" : "_export";
  std::string name;
  switch (request.scope) {
    case ExportScope::kStudy:
      name = "study_" + ExportedTarget(request, deidentifier) + suffix;
      break;
    case ExportScope::kSeries:
      name = "series_" + ExportedTarget(request, deidentifier) + suffix;
      break;
    case ExportScope::kPatient:
      name = "patient_" + SanitizePathComponent(ExportedTarget(request, deidentifier)) + suffix;
      break;
    case ExportScope::kAll:
      name = "export_all_" + CompactUtcTimestamp(now);
      break;
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      name = (media ? "batch_media_" : "batch_export_") + CompactUtcTimestamp(now);
      break;
  }
  return name + (IsArchive(request.options.format) ? ".zip" : ".json");
}

Status PlannedExport::CountTotals() {
  if (summary_.instance_count >= 0) return Status::Ok();
  auto totals = snapshot_->Totals(TotalsOf::kHospital, "");
  if (!totals.ok()) return totals.error();
  summary_.instance_count = totals->instances;
  summary_.dicom_bytes = totals->bytes;
  return Status::Ok();
}

Result<ExportPlan> PlanExport(Index& index, const Principal& principal,
                              const ExportRequest& request, SystemTime now) {
  auto planned = OpenExportPlan(index, principal, request, now);
  if (!planned.ok()) return planned.error();
  if (Status s = (*planned)->CountTotals(); !s.ok()) return s.error();
  ExportPlan plan;
  static_cast<ExportSummary&>(plan) = (*planned)->summary();
  PlanWalk walk = (*planned)->Walk(WalkDepth::kInstances);
  while (true) {
    auto step = walk.Next();
    if (!step.ok()) return step.error();
    if (*step == PlanWalk::Step::kEnd) return plan;
    if (*step == PlanWalk::Step::kPatient) {
      plan.patients.push_back(walk.patient());
    } else {
      plan.patients.back().studies.push_back(*walk.study());
    }
  }
}

}  // namespace pacsport
