#include "export/planner.h"

#include <unordered_map>

#include "core/names.h"
#include "zip/portable_names.h"

namespace pacsport {
namespace {

constexpr std::int64_t kPageSize = 1000;

// Every page of a paged index listing.
template <typename T, typename Fetch>
Result<std::vector<T>> FetchAll(Fetch fetch) {
  std::vector<T> all;
  PageRequest page{0, kPageSize};
  while (true) {
    auto batch = fetch(page);
    if (!batch.ok()) return batch.error();
    for (auto& item : batch->items) all.push_back(std::move(item));
    page.offset += kPageSize;
    if (batch->items.empty() || page.offset >= batch->total) return all;
  }
}

// `folder` is the study's folder ("" in a study export, whose layout has none).
Result<PlannedStudy> PlanStudy(Index& index, const Principal& principal, StudyRecord study,
                               const std::string& folder, ExportPlan& plan) {
  auto instances = index.ListStudyInstances(principal.hospital_id, study.study_instance_uid);
  if (!instances.ok()) return instances.error();
  const std::string directory = folder.empty() ? "" : folder + "/";
  PlannedStudy planned;
  planned.folder = folder;
  planned.preview_directory = directory + "previews/";
  const std::string dicom_directory = folder.empty() ? "dicom/" : directory;
  int number = 1;
  for (auto& record : *instances) {
    PlannedInstance instance;
    if (plan.WithImages())
      instance.dicom_entry = dicom_directory + std::to_string(number++) + ".dcm";
    plan.dicom_bytes += record.size;
    instance.record = std::move(record);
    planned.instances.push_back(std::move(instance));
  }
  plan.instance_count += static_cast<std::int64_t>(planned.instances.size());
  planned.study = std::move(study);
  return planned;
}

// `folder` is the patient's folder ("" but in an export of all).
Result<PlannedPatient> PlanPatient(Index& index, const Principal& principal, PatientRecord patient,
                                   const std::string& folder, ExportPlan& plan) {
  auto studies = FetchAll<StudyRecord>([&](PageRequest page) {
    StudyQuery query;
    query.patient_id = patient.patient_id;
    query.sort = StudySort::kDateAsc;
    query.page = page;
    return index.ListStudies(principal.hospital_id, query);
  });
  if (!studies.ok()) return studies.error();
  PlannedPatient planned;
  const std::string studies_directory = (folder.empty() ? "" : folder + "/") + "studies/";
  zip::FolderNames study_folders;
  for (auto& study : *studies) {
    const std::string study_folder =
        studies_directory + study_folders.Take(study.study_instance_uid);
    auto planned_study = PlanStudy(index, principal, std::move(study), study_folder, plan);
    if (!planned_study.ok()) return planned_study.error();
    planned.studies.push_back(std::move(*planned_study));
  }
  planned.patient = std::move(patient);
  planned.folder = folder;
  return planned;
}

// A batch of studies: each study under its patient's folder, patients in the order
// their first study was named, studies in the order named.
Status PlanStudies(Index& index, const Principal& principal, ExportPlan& plan) {
  zip::FolderNames patient_folders;
  std::unordered_map<std::string, zip::FolderNames> study_folders;  // by Patient ID
  std::unordered_map<std::string, size_t> patient_index;            // by Patient ID
  for (const std::string& uid : plan.request.targets) {
    if (!IsValidUid(uid)) return InvalidInput("ids: " + uid + " is not a valid DICOM UID");
    auto study = index.GetStudy(principal.hospital_id, uid);
    if (!study.ok()) return study.error();
    auto [it, added] = patient_index.try_emplace(study->patient_id, plan.patients.size());
    if (added) {
      auto patient = index.GetPatient(principal.hospital_id, study->patient_id);
      if (!patient.ok()) return patient.error();
      PlannedPatient planned;
      planned.folder = "patients/" + patient_folders.Take(patient->patient_id);
      planned.patient = std::move(*patient);
      plan.patients.push_back(std::move(planned));
    }
    PlannedPatient& owner = plan.patients[it->second];
    const std::string folder =
        owner.folder + "/studies/" + study_folders[study->patient_id].Take(uid);
    auto planned = PlanStudy(index, principal, std::move(*study), folder, plan);
    if (!planned.ok()) return planned.error();
    owner.studies.push_back(std::move(*planned));
  }
  return Status::Ok();
}

// Every patient of `patients`, each with all its studies, under patients/PID.
Status PlanPatients(Index& index, const Principal& principal, std::vector<PatientRecord> patients,
                    ExportPlan& plan) {
  zip::FolderNames folders;
  for (auto& patient : patients) {
    const std::string folder = "patients/" + folders.Take(patient.patient_id);
    auto planned = PlanPatient(index, principal, std::move(patient), folder, plan);
    if (!planned.ok()) return planned.error();
    plan.patients.push_back(std::move(*planned));
  }
  return Status::Ok();
}

}  // namespace

Result<ExportPlan> PlanExport(Index& index, const Principal& principal,
                              const ExportRequest& request, SystemTime now) {
  ExportPlan plan;
  plan.request = request;
  plan.principal = principal;
  switch (request.scope) {
    case ExportScope::kStudy: {
      if (!IsValidUid(request.target)) return InvalidInput("studyUID is not a valid DICOM UID");
      auto study = index.GetStudy(principal.hospital_id, request.target);
      if (!study.ok()) return study.error();
      auto patient = index.GetPatient(principal.hospital_id, study->patient_id);
      if (!patient.ok()) return patient.error();
      auto planned = PlanStudy(index, principal, std::move(*study), "", plan);
      if (!planned.ok()) return planned.error();
      plan.patients.push_back(
          {.patient = std::move(*patient), .folder = "", .studies = {std::move(*planned)}});
      plan.metadata_name = "study_data.json";
      break;
    }
    case ExportScope::kPatient: {
      // An empty Patient ID is legal DICOM (type 2): it names the patient without one.
      if (!IsValidPatientId(request.target))
        return InvalidInput("patientID is longer than 64 characters");
      auto patient = index.GetPatient(principal.hospital_id, request.target);
      if (!patient.ok()) return patient.error();
      auto planned = PlanPatient(index, principal, std::move(*patient), "", plan);
      if (!planned.ok()) return planned.error();
      plan.patients.push_back(std::move(*planned));
      plan.metadata_name = "patient_data.json";
      break;
    }
    case ExportScope::kAll: {
      if (principal.role != Role::kAdmin)
        return Forbidden("exporting everything requires the admin role");
      auto patients = FetchAll<PatientRecord>([&](PageRequest page) {
        return index.ListPatients(principal.hospital_id, PatientQuery{"", page});
      });
      if (!patients.ok()) return patients.error();
      if (Status s = PlanPatients(index, principal, std::move(*patients), plan); !s.ok()) {
        return s.error();
      }
      plan.metadata_name = "all_data.json";
      break;
    }
    case ExportScope::kStudies:
    case ExportScope::kPatients: {
      if (request.targets.empty()) return InvalidInput("ids must name at least one");
      if (request.targets.size() > kMaxBatchTargets) {
        return InvalidInput("ids may name at most " + std::to_string(kMaxBatchTargets));
      }
      Status planned = Status::Ok();
      if (request.scope == ExportScope::kStudies) {
        planned = PlanStudies(index, principal, plan);
      } else {
        std::vector<PatientRecord> patients;
        for (const std::string& id : request.targets) {
          if (!IsValidPatientId(id))
            return InvalidInput("ids: a Patient ID is longer than 64 characters");
          auto patient = index.GetPatient(principal.hospital_id, id);
          if (!patient.ok()) return patient.error();
          patients.push_back(std::move(*patient));
        }
        planned = PlanPatients(index, principal, std::move(patients), plan);
      }
      if (!planned.ok()) return planned.error();
      plan.metadata_name = "batch_data.json";
      break;
    }
  }
  plan.archive_name = ArchiveName(request, now);
  return plan;
}

std::string ArchiveName(const ExportRequest& request, SystemTime now) {
  std::string name;
  switch (request.scope) {
    case ExportScope::kStudy:
      name = "study_" + request.target + "_export";
      break;
    case ExportScope::kPatient:
      name = "patient_" + SanitizePathComponent(request.target) + "_export";
      break;
    case ExportScope::kAll:
      name = "export_all_" + CompactUtcTimestamp(now);
      break;
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      name = "batch_export_" + CompactUtcTimestamp(now);
      break;
  }
  return name + (request.options.format == ExportFormat::kZip ? ".zip" : ".json");
}

}  // namespace pacsport
