#include "export/metadata_document.h"

#include "export/record_json.h"

namespace pacsport {
namespace {

using json = nlohmann::ordered_json;

// Where a patient's or a study's files are in the archive: null when it has no folder
// of its own there, or when the archive holds no files.
json FolderJson(const std::string& folder, bool includes_images) {
  return folder.empty() || !includes_images ? json(nullptr) : json(folder);
}

// The spec's patient block: the record plus the export date and its folder.
json PatientObject(const PlannedPatient& patient, const std::string& export_date,
                   bool includes_images) {
  json object = PatientJson(patient.patient);
  object["studyCount"] = patient.studies.size();
  object["exportDate"] = export_date;
  object["folder"] = FolderJson(patient.folder, includes_images);
  return object;
}

json StudyObject(const PlannedStudy& study, bool includes_images) {
  json object = StudyJson(study.study);
  object["folder"] = FolderJson(study.folder, includes_images);
  return object;
}

json InstanceObject(const PlannedInstance& instance, const InstanceOutcomes& outcomes) {
  json object = InstanceJson(instance.record);
  object["file"] = instance.dicom_entry.empty() ? json(nullptr) : json(instance.dicom_entry);
  object["previews"] = json::array();
  if (const auto it = outcomes.find(instance.record.id); it != outcomes.end()) {
    object["previews"] = it->second.previews;
    if (it->second.preview_error) object["previewError"] = *it->second.preview_error;
  }
  return object;
}

}  // namespace

std::string BuildMetadataDocument(const ExportPlan& plan, const InstanceOutcomes& outcomes,
                                  bool includes_images, SystemTime exported_at) {
  const std::string export_date = Iso8601(exported_at);
  json patients = json::array();
  json studies = json::array();
  json instances = json::array();
  for (const PlannedPatient& patient : plan.patients) {
    patients.push_back(PatientObject(patient, export_date, includes_images));
    for (const PlannedStudy& study : patient.studies) {
      studies.push_back(StudyObject(study, includes_images));
      for (const PlannedInstance& instance : study.instances) {
        instances.push_back(InstanceObject(instance, outcomes));
      }
    }
  }

  json document = json::object();
  switch (plan.request.scope) {
    case ExportScope::kPatient:
      document["patient"] = std::move(patients.at(0));
      document["studies"] = std::move(studies);
      break;
    case ExportScope::kStudy:
      document["patient"] = std::move(patients.at(0));
      document["study"] = std::move(studies.at(0));
      break;
    case ExportScope::kAll:
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      document["patients"] = std::move(patients);
      document["studies"] = std::move(studies);
      break;
  }
  document["instances"] = std::move(instances);
  document["metadata"] = {{"exportedBy", plan.principal.username},
                          {"exportedAt", export_date},
                          {"version", "1.0"},
                          {"includesImages", includes_images},
                          {"hospital", plan.principal.hospital_name},
                          {"exportType", ScopeName(plan.request.scope)}};
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace pacsport
