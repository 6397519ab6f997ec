// The rows of patients, studies and instances as SqlIndex reads them, shared by the
// browsing calls (sql_browse.cpp) and the export snapshots (sql_snapshot.cpp).
// Internal to src/index; SOCI types appear here. The SOCI calls throw soci_error
// (callers run inside SqlIndex::Run or catch as it does).
#pragma once

#include <soci/soci.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "index/index.h"
#include "index/sql_conditions.h"

namespace pacsport::sql_rows {

inline constexpr std::string_view kPatientsFrom = "FROM patients p";
inline constexpr std::string_view kPatientsSelect =
    "SELECT p.id, p.patient_id, p.name, p.birth_date, p.sex, "
    "(SELECT COUNT(*) FROM studies s WHERE s.patient_row = p.id), "
    "(SELECT COALESCE(MAX(s.study_date), '') FROM studies s WHERE s.patient_row = p.id), "
    "(SELECT COALESCE(SUM(i.size_bytes), 0) FROM instances i JOIN series x "
    "ON x.id = i.series_row JOIN studies s ON s.id = x.study_row WHERE s.patient_row = p.id)";
inline constexpr std::string_view kPatientsOrder = "LOWER(p.name), p.patient_id, p.id";

// A patient row fetched into `record`.
struct PatientRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.patient_id));
    st.exchange(soci::into(record.name));
    st.exchange(soci::into(record.birth_date));
    st.exchange(soci::into(record.sex));
    st.exchange(soci::into(record.study_count));
    st.exchange(soci::into(record.latest_study_date));
    st.exchange(soci::into(record.total_bytes));
  }
  PatientRecord record;
};

inline std::vector<PatientRecord> FetchPatients(soci::session& sql, const SqlConditions& where,
                                                const std::optional<PageRequest>& page) {
  std::vector<PatientRecord> patients;
  PatientRow row;
  where.ForEachRow(
      sql, kPatientsSelect, kPatientsFrom, kPatientsOrder, page,
      [&](soci::statement& st) { row.Exchange(st); }, [&] { patients.push_back(row.record); });
  return patients;
}

inline constexpr std::string_view kStudiesFrom =
    "FROM studies s JOIN patients p ON p.id = s.patient_row";
inline constexpr std::string_view kStudiesSelect =
    "SELECT s.id, s.study_uid, p.patient_id, p.name, s.study_date, s.study_time, "
    "s.modalities, s.description, s.accession, "
    "(SELECT COUNT(*) FROM series x WHERE x.study_row = s.id), "
    "(SELECT COUNT(*) FROM instances i JOIN series x ON x.id = i.series_row "
    "WHERE x.study_row = s.id), "
    "(SELECT COALESCE(SUM(i.size_bytes), 0) FROM instances i "
    "JOIN series x ON x.id = i.series_row WHERE x.study_row = s.id), "
    "s.ai_analysis, s.ai_models, s.ai_analyzed_at";

// Every order ends on the study UID, so that pages never overlap; the orders by a
// column break ties by the newest study first.
inline std::string_view StudyOrder(StudySort sort) {
  switch (sort) {
    case StudySort::kDateDesc:
      return "s.study_date DESC, s.study_time DESC, s.study_uid";
    case StudySort::kDateAsc:
      return "s.study_date = '', s.study_date, s.study_time, s.study_uid";  // undated last
    case StudySort::kPatientName:
      return "LOWER(p.name), p.patient_id, s.study_date DESC, s.study_time DESC, s.study_uid";
    case StudySort::kPatientNameDesc:
      return "LOWER(p.name) DESC, p.patient_id DESC, s.study_date DESC, s.study_time DESC, "
             "s.study_uid";
    case StudySort::kModality:
      return "s.modalities, s.study_date DESC, s.study_time DESC, s.study_uid";
    case StudySort::kModalityDesc:
      return "s.modalities DESC, s.study_date DESC, s.study_time DESC, s.study_uid";
    case StudySort::kDescription:
      return "LOWER(s.description), s.study_date DESC, s.study_time DESC, s.study_uid";
    case StudySort::kDescriptionDesc:
      return "LOWER(s.description) DESC, s.study_date DESC, s.study_time DESC, s.study_uid";
  }
  return "s.study_uid";
}

// A study row fetched into `record` and the raw AI columns.
struct StudyRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.study_instance_uid));
    st.exchange(soci::into(record.patient_id));
    st.exchange(soci::into(record.patient_name));
    st.exchange(soci::into(record.study_date));
    st.exchange(soci::into(record.study_time));
    st.exchange(soci::into(record.modality));
    st.exchange(soci::into(record.study_description));
    st.exchange(soci::into(record.accession_number));
    st.exchange(soci::into(record.number_of_series));
    st.exchange(soci::into(record.number_of_instances));
    st.exchange(soci::into(record.total_bytes));
    st.exchange(soci::into(ai_analysis, ai_analysis_present));
    st.exchange(soci::into(ai_models));
    st.exchange(soci::into(record.ai_analyzed_at));
  }
  // The record of the row just fetched. Throws nlohmann::json::exception when the
  // stored model list is not a JSON array of strings.
  StudyRecord Record() const {
    StudyRecord out = record;
    if (ai_analysis_present == soci::i_ok) out.ai_analysis_json = ai_analysis;
    out.ai_models = nlohmann::json::parse(ai_models).get<std::vector<std::string>>();
    return out;
  }

  StudyRecord record;
  std::string ai_analysis;
  soci::indicator ai_analysis_present = soci::i_null;
  std::string ai_models;
};

inline std::vector<StudyRecord> FetchStudies(soci::session& sql, const SqlConditions& where,
                                             std::string_view order_by,
                                             const std::optional<PageRequest>& page) {
  std::vector<StudyRecord> studies;
  StudyRow row;
  where.ForEachRow(
      sql, kStudiesSelect, kStudiesFrom, order_by, page,
      [&](soci::statement& st) { row.Exchange(st); }, [&] { studies.push_back(row.Record()); });
  return studies;
}

inline constexpr std::string_view kInstancesSelect =
    "SELECT i.id, i.sop_uid, i.sop_class_uid, s.study_uid, x.series_uid, p.patient_id, "
    "x.series_number, i.instance_number, i.frames, i.transfer_syntax, i.size_bytes, i.sha256, "
    "i.orthanc_id, i.source, i.location_key";
inline constexpr std::string_view kInstancesFrom =
    "FROM instances i JOIN series x ON x.id = i.series_row "
    "JOIN studies s ON s.id = x.study_row JOIN patients p ON p.id = s.patient_row";

// An instance row fetched into `record` and its nullable numbers.
struct InstanceRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.sop_instance_uid));
    st.exchange(soci::into(record.sop_class_uid));
    st.exchange(soci::into(record.study_instance_uid));
    st.exchange(soci::into(record.series_instance_uid));
    st.exchange(soci::into(record.patient_id));
    st.exchange(soci::into(series_number, series_number_present));
    st.exchange(soci::into(instance_number, instance_number_present));
    st.exchange(soci::into(record.number_of_frames));
    st.exchange(soci::into(record.transfer_syntax_uid));
    st.exchange(soci::into(record.size));
    st.exchange(soci::into(record.sha256));
    st.exchange(soci::into(record.orthanc_instance_id));
    st.exchange(soci::into(record.location.source));
    st.exchange(soci::into(record.location.key));
  }
  InstanceRecord Record() const {
    InstanceRecord out = record;
    out.series_number =
        series_number_present == soci::i_ok ? std::optional(series_number) : std::nullopt;
    out.instance_number =
        instance_number_present == soci::i_ok ? std::optional(instance_number) : std::nullopt;
    return out;
  }

  InstanceRecord record;
  std::int64_t series_number = 0;
  soci::indicator series_number_present = soci::i_null;
  std::int64_t instance_number = 0;
  soci::indicator instance_number_present = soci::i_null;
};

// The export order: series number, instance number (missing numbers last), then
// SOP Instance UID byte by byte. Sorted here rather than in SQL so that it never
// depends on a database's collation.
inline void SortForExport(std::vector<InstanceRecord>& instances) {
  const auto key = [](const InstanceRecord& r) {
    return std::tuple(!r.series_number, r.series_number.value_or(0), !r.instance_number,
                      r.instance_number.value_or(0), std::string_view(r.sop_instance_uid));
  };
  std::sort(instances.begin(), instances.end(),
            [&](const InstanceRecord& a, const InstanceRecord& b) { return key(a) < key(b); });
}

inline bool StudyExists(soci::session& sql, RowId hospital_id, const std::string& study_uid) {
  int one = 0;
  sql << "SELECT 1 FROM studies WHERE hospital_id = :hospital_id AND study_uid = :study_uid",
      soci::use(hospital_id), soci::use(study_uid), soci::into(one);
  return sql.got_data();
}

}  // namespace pacsport::sql_rows
