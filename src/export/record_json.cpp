#include "export/record_json.h"

namespace pacsport {
namespace {

using json = nlohmann::ordered_json;

json NullIfEmpty(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

template <typename T>
json NullIfAbsent(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

json PatientJson(const PatientRecord& patient) {
  return {{"patientID", patient.patient_id},   {"patientName", patient.name},
          {"birthDate", patient.birth_date},   {"sex", patient.sex},
          {"studyCount", patient.study_count}, {"latestStudyDate", patient.latest_study_date}};
}

json StudyJson(const StudyRecord& study) {
  json analysis = nullptr;
  if (study.ai_analysis_json) analysis = json::parse(*study.ai_analysis_json, nullptr, false);
  return {{"studyInstanceUID", study.study_instance_uid},
          {"patientID", study.patient_id},
          {"patientName", study.patient_name},
          {"studyDate", study.study_date},
          {"studyTime", study.study_time},
          {"modality", study.modality},
          {"studyDescription", study.study_description},
          {"accessionNumber", study.accession_number},
          {"numberOfSeries", study.number_of_series},
          {"numberOfInstances", study.number_of_instances},
          {"totalBytes", study.total_bytes},
          {"aiAnalysis", analysis},
          {"aiAnalyzedAt", NullIfEmpty(study.ai_analyzed_at)},
          {"aiModels", study.ai_models}};
}

json InstanceJson(const InstanceRecord& r) {
  return {{"sopInstanceUID", r.sop_instance_uid},
          {"studyInstanceUID", r.study_instance_uid},
          {"seriesInstanceUID", r.series_instance_uid},
          {"patientID", r.patient_id},
          {"seriesNumber", NullIfAbsent(r.series_number)},
          {"instanceNumber", NullIfAbsent(r.instance_number)},
          {"numberOfFrames", r.number_of_frames},
          {"sopClassUID", r.sop_class_uid},
          {"transferSyntaxUID", r.transfer_syntax_uid},
          {"orthancInstanceId", r.orthanc_instance_id},
          {"sha256", r.sha256},
          {"size", r.size}};
}

json AuditJson(const AuditRecord& r) {
  json seal = nullptr;
  if (r.chain_seq) {
    seal = {{"chainSeq", *r.chain_seq},
            {"recordHash", r.record_hash},
            {"prevHash", r.prev_hash},
            {"keyId", r.key_id},
            {"signature", r.signature}};
  }
  return {{"id", r.id},
          {"startedAt", r.started_at},
          {"username", r.username},
          {"role", r.role},
          {"hospital", r.hospital_name},
          {"clientAddress", r.client_address},
          {"requestId", r.request_id},
          {"endpoint", r.endpoint},
          {"scope", r.scope},
          {"target", r.target},
          {"targetLabel", r.target_label},
          {"parameters", json::parse(r.parameters, nullptr, false)},
          {"outcome", AuditOutcomeName(r.outcome)},
          {"detail", r.detail},
          {"bytesSent", r.bytes_sent},
          {"entries", r.entries},
          {"instances", r.instances},
          {"studyCount", r.study_count},
          {"contentSha256", r.content_sha256},
          {"durationMs", r.duration_ms},
          {"seal", seal}};
}

}  // namespace pacsport
