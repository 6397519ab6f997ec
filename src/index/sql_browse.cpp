// SqlIndex: browsing patients, studies and instances, and AI results.
#include <soci/soci.h>

#include <nlohmann/json.hpp>

#include "index/sql_conditions.h"
#include "index/sql_index.h"
#include "index/sql_rows.h"

namespace pacsport {
namespace {

using namespace sql_rows;

// Studies with a series of any of `modalities` (nothing appended for none).
void AddModalities(SqlConditions& where, const std::vector<std::string>& modalities) {
  if (modalities.empty()) return;
  std::string condition =
      "EXISTS (SELECT 1 FROM series x WHERE x.study_row = s.id AND x.modality IN (";
  std::vector<SqlConditions::Value> values;
  for (const std::string& modality : modalities) {
    condition += values.empty() ? "?" : ", ?";
    values.emplace_back(modality);
  }
  where.AddWithValues(condition + "))", values);
}

}  // namespace

Result<Page<PatientRecord>> SqlIndex::ListPatients(RowId hospital_id, const PatientQuery& q) {
  if (Status page = CheckPage(q.page); !page.ok()) return page.error();
  return Run(Access::kRead, "listing patients",
             [&](soci::session& sql) -> Result<Page<PatientRecord>> {
               SqlConditions where;
               where.Add("p.hospital_id = ?", {hospital_id})
                   .Add("p.patient_id <> ''", {})
                   .AddWords(q.search, "p.name_key", {"p.patient_id"});
               Page<PatientRecord> page;
               page.total = where.Count(sql, kPatientsFrom);
               page.items = FetchPatients(sql, where, q.page);
               return page;
             });
}

Result<PatientRecord> SqlIndex::GetPatient(RowId hospital_id, const std::string& patient_id) {
  return Run(Access::kRead, "reading a patient", [&](soci::session& sql) -> Result<PatientRecord> {
    SqlConditions where;
    where.Add("p.hospital_id = ?", {hospital_id}).Add("p.patient_id = ?", {patient_id});
    auto patients = FetchPatients(sql, where, std::nullopt);
    if (patients.empty()) return NotFound("no such patient");
    return std::move(patients.front());
  });
}

Result<Page<StudyRecord>> SqlIndex::ListStudies(RowId hospital_id, const StudyQuery& q) {
  if (Status page = CheckPage(q.page); !page.ok()) return page.error();
  return Run(Access::kRead, "listing studies",
             [&](soci::session& sql) -> Result<Page<StudyRecord>> {
               SqlConditions where;
               where.Add("s.hospital_id = ?", {hospital_id});
               if (q.patient_id) where.Add("p.patient_id = ?", {*q.patient_id});
               where.AddWords(q.search, "p.name_key",
                              {"p.patient_id", "s.description", "s.accession", "s.study_uid"});
               if (!q.date_from.empty())
                 where.Add("s.study_date >= ? AND s.study_date <> ''", {q.date_from});
               if (!q.date_to.empty())
                 where.Add("s.study_date <= ? AND s.study_date <> ''", {q.date_to});
               where.AddContains({"s.accession"}, q.accession);
               if (!q.birth_date.empty()) where.Add("p.birth_date = ?", {q.birth_date});
               AddModalities(where, q.modalities);
               if (q.has_ai)
                 where.Add(*q.has_ai ? "s.ai_analysis IS NOT NULL" : "s.ai_analysis IS NULL", {});
               Page<StudyRecord> page;
               page.total = where.Count(sql, kStudiesFrom);
               page.items = FetchStudies(sql, where, StudyOrder(q.sort), q.page);
               return page;
             });
}

Result<StudyRecord> SqlIndex::GetStudy(RowId hospital_id, const std::string& study_uid) {
  return Run(Access::kRead, "reading a study", [&](soci::session& sql) -> Result<StudyRecord> {
    SqlConditions where;
    where.Add("s.hospital_id = ?", {hospital_id}).Add("s.study_uid = ?", {study_uid});
    auto studies = FetchStudies(sql, where, "", std::nullopt);
    if (studies.empty()) return NotFound("no such study");
    return std::move(studies.front());
  });
}

Result<std::vector<ModalityCount>> SqlIndex::ListModalityCounts(RowId hospital_id) {
  return Run(Access::kRead, "counting studies by modality",
             [&](soci::session& sql) -> Result<std::vector<ModalityCount>> {
               std::vector<ModalityCount> counts;
               ModalityCount row;
               soci::statement select =
                   (sql.prepare << "SELECT x.modality, COUNT(DISTINCT x.study_row) FROM series x "
                                   "JOIN studies s ON s.id = x.study_row "
                                   "WHERE s.hospital_id = :hospital_id AND x.modality <> '' "
                                   "GROUP BY x.modality ORDER BY x.modality",
                    soci::use(hospital_id), soci::into(row.modality), soci::into(row.studies));
               select.execute();
               while (select.fetch()) counts.push_back(row);
               return counts;
             });
}

Result<std::vector<InstanceRecord>> SqlIndex::ListStudyInstances(RowId hospital_id,
                                                                 const std::string& study_uid) {
  return Run(Access::kRead, "listing a study's instances",
             [&](soci::session& sql) -> Result<std::vector<InstanceRecord>> {
               if (!StudyExists(sql, hospital_id, study_uid)) return NotFound("no such study");
               SqlConditions where;
               where.Add("s.hospital_id = ?", {hospital_id}).Add("s.study_uid = ?", {study_uid});
               std::vector<InstanceRecord> instances;
               InstanceRow row;
               where.ForEachRow(
                   sql, kInstancesSelect, kInstancesFrom, "", std::nullopt,
                   [&](soci::statement& st) { row.Exchange(st); },
                   [&] { instances.push_back(row.Record()); });
               SortForExport(instances);
               return instances;
             });
}

Status SqlIndex::SetAiAnalysis(RowId hospital_id, const std::string& study_uid,
                               const std::string& analysis_json,
                               const std::vector<std::string>& models,
                               const std::string& analyzed_at) {
  return Run(Access::kWrite, "storing AI results", [&](soci::session& sql) -> Status {
    const std::string models_json =
        nlohmann::json(models).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    soci::statement update =
        (sql.prepare << "UPDATE studies SET ai_analysis = :analysis, ai_models = :models, "
                        "ai_analyzed_at = :analyzed_at "
                        "WHERE hospital_id = :hospital_id AND study_uid = :study_uid",
         soci::use(analysis_json), soci::use(models_json), soci::use(analyzed_at),
         soci::use(hospital_id), soci::use(study_uid));
    update.execute(true);
    if (update.get_affected_rows() == 0) return NotFound("no such study");
    return Status::Ok();
  });
}

}  // namespace pacsport
