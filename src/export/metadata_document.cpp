#include "export/metadata_document.h"

#include "export/record_json.h"

namespace pacsport {
namespace {

using json = nlohmann::ordered_json;

// The spec's patient block: the record plus the export date.
json PatientObject(const PatientRecord& patient, std::size_t study_count,
                   const std::string& export_date) {
  json object = PatientJson(patient);
  object["studyCount"] = study_count;
  object["exportDate"] = export_date;
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
    patients.push_back(PatientObject(patient.patient, patient.studies.size(), export_date));
    for (const PlannedStudy& study : patient.studies) {
      studies.push_back(StudyJson(study.study));
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
