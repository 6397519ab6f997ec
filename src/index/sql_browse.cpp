// SqlIndex: browsing patients, studies and instances, and AI results.
#include <soci/soci.h>

#include <nlohmann/json.hpp>

#include "index/sql_conditions.h"
#include "index/sql_index.h"
#include "index/sql_rows.h"

namespace pacsport {
namespace {

using namespace sql_rows;

}  // namespace

Result<Page<PatientRecord>> SqlIndex::ListPatients(RowId hospital_id, const PatientQuery& q) {
  if (Status page = CheckPage(q.page); !page.ok()) return page.error();
  return Run(Access::kRead, "listing patients",
             [&](soci::session& sql) -> Result<Page<PatientRecord>> {
               SqlConditions where;
               where.Add("p.hospital_id = ?", {hospital_id})
                   .AddContains({"p.patient_id", "p.name"}, q.search);
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
  return Run(
      Access::kRead, "listing studies", [&](soci::session& sql) -> Result<Page<StudyRecord>> {
        SqlConditions where;
        where.Add("s.hospital_id = ?", {hospital_id});
        if (q.patient_id) where.Add("p.patient_id = ?", {*q.patient_id});
        where.AddContains({"p.name", "p.patient_id", "s.description", "s.accession", "s.study_uid"},
                          q.search);
        if (!q.modality.empty()) {
          where.Add(
              "EXISTS (SELECT 1 FROM series x WHERE x.study_row = s.id "
              "AND x.modality = ?)",
              {q.modality});
        }
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
