#include "export/deidentified_records.h"

#include "core/digest.h"

namespace pacsport {
namespace {

using json = nlohmann::ordered_json;

json DateJson(const deid::Deidentifier& deidentifier, const std::string& date,
              const std::string& patient_id) {
  const auto shifted = deidentifier.Date(date, patient_id);
  return shifted ? json(*shifted) : json("");
}

bool Has(const deid::Deidentifier& deidentifier, deid::Option option) {
  return deidentifier.request().Has(option);
}

}  // namespace

void DeidentifyPatientJson(const deid::Deidentifier& deidentifier, const PatientRecord& record,
                           json& object) {
  const std::string pseudonym = deidentifier.PatientId(record.patient_id);
  object["patientID"] = pseudonym;
  object["patientName"] = pseudonym;
  object["birthDate"] = "";
  if (!Has(deidentifier, deid::Option::kRetainPatientCharacteristics)) object["sex"] = "";
  object["latestStudyDate"] = DateJson(deidentifier, record.latest_study_date, record.patient_id);
}

void DeidentifyStudyJson(const deid::Deidentifier& deidentifier, const StudyRecord& record,
                         json& object) {
  const std::string pseudonym = deidentifier.PatientId(record.patient_id);
  object["studyInstanceUID"] = deidentifier.Uid(record.study_instance_uid);
  object["patientID"] = pseudonym;
  object["patientName"] = pseudonym;
  object["studyDate"] = DateJson(deidentifier, record.study_date, record.patient_id);
  if (!Has(deidentifier, deid::Option::kRetainLongitudinalModifiedDates)) {
    object["studyTime"] = "";
  }
  object["studyDescription"] = "";
  object["accessionNumber"] = "";
}

void DeidentifyInstanceJson(const deid::Deidentifier& deidentifier, const InstanceRecord& record,
                            const std::optional<std::string>& sha256,
                            std::optional<std::int64_t> size, json& object) {
  const std::string patient_id = deidentifier.PatientId(record.patient_id);
  const std::string study_uid = deidentifier.Uid(record.study_instance_uid);
  const std::string series_uid = deidentifier.Uid(record.series_instance_uid);
  const std::string sop_uid = deidentifier.Uid(record.sop_instance_uid);
  object["sopInstanceUID"] = sop_uid;
  object["studyInstanceUID"] = study_uid;
  object["seriesInstanceUID"] = series_uid;
  object["patientID"] = patient_id;
  object["orthancInstanceId"] = OrthancInstanceId(patient_id, study_uid, series_uid, sop_uid);
  object["sha256"] = sha256 ? json(*sha256) : json(nullptr);
  object["size"] = size ? json(*size) : json(nullptr);
}

}  // namespace pacsport
