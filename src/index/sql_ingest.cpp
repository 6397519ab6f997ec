// SqlIndex: recording stored instances with their patient, study and series, and
// removing or replacing them again when their source no longer holds them as indexed.
//
// Checking for the instance (and for the study's owner) before inserting it is
// exact because no two transactions add to one study at once: SQLite serializes
// write transactions (BEGIN IMMEDIATE takes the database's write lock up front),
// PostgreSQL takes the study's lock (LockName::kStudy) first.
//
// A Study Instance UID already recorded under another patient of the hospital
// keeps that patient: the new instance joins the existing study and its own
// patient tags are not recorded (no patient row without studies is created).
//
// A study pruned because its last instance was removed keeps its AI results in
// detached_ai_analyses, and gets them back when it is created again.
#include <soci/soci.h>

#include <algorithm>
#include <initializer_list>

#include "core/clock.h"
#include "index/name_search.h"
#include "index/sql_index.h"

namespace pacsport {
namespace {

// An optional integer as SOCI binds it: a value and a null indicator.
struct OptionalNumber {
  explicit OptionalNumber(const std::optional<std::int64_t>& number)
      : value(number.value_or(0)), indicator(number ? soci::i_ok : soci::i_null) {}
  std::int64_t value;
  soci::indicator indicator;
};

// The SET list of an upsert that fills each of `columns` only where it is empty.
std::string FillEmpty(std::string_view table, std::initializer_list<std::string_view> columns) {
  std::string set;
  for (std::string_view column : columns) {
    const std::string current = std::string(table) + "." + std::string(column);
    if (!set.empty()) set += ", ";
    set += std::string(column) + " = CASE WHEN " + current + " = '' THEN excluded." +
           std::string(column) + " ELSE " + current + " END";
  }
  return set;
}

bool InstanceExists(soci::session& sql, RowId hospital_id, const std::string& sop_uid) {
  int one = 0;
  sql << "SELECT 1 FROM instances WHERE hospital_id = :hospital_id AND sop_uid = :sop_uid",
      soci::use(hospital_id), soci::use(sop_uid), soci::into(one);
  return sql.got_data();
}

// The patient row of a study already recorded, with its Patient ID.
struct StudyOwner {
  RowId patient_row = 0;
  std::string patient_id;
};

std::optional<StudyOwner> FindStudyOwner(soci::session& sql, RowId hospital_id,
                                         const std::string& study_uid) {
  StudyOwner owner;
  sql << "SELECT p.id, p.patient_id FROM studies s JOIN patients p ON p.id = s.patient_row "
         "WHERE s.hospital_id = :hospital_id AND s.study_uid = :study_uid",
      soci::use(hospital_id), soci::use(study_uid), soci::into(owner.patient_row),
      soci::into(owner.patient_id);
  if (!sql.got_data()) return std::nullopt;
  return owner;
}

// Creates the patient, or fills in its empty name (with its search key), birth date
// and sex.
RowId UpsertPatient(soci::session& sql, RowId hospital_id, const InstanceMetadata& m) {
  RowId id = 0;
  const std::string name_key = NameSearchKey(m.patient_name);
  sql << "INSERT INTO patients (hospital_id, patient_id, name, name_key, birth_date, sex) "
         "VALUES (:hospital_id, :patient_id, :name, :name_key, :birth_date, :sex) "
         "ON CONFLICT (hospital_id, patient_id) DO UPDATE SET "
         "name_key = CASE WHEN patients.name = '' THEN excluded.name_key "
         "ELSE patients.name_key END, " +
             FillEmpty("patients", {"name", "birth_date", "sex"}) + " RETURNING id",
      soci::use(hospital_id), soci::use(m.patient_id), soci::use(m.patient_name),
      soci::use(name_key), soci::use(m.patient_birth_date), soci::use(m.patient_sex),
      soci::into(id);
  return id;
}

// Creates the study under `patient_row`, or fills in its empty descriptive fields;
// an existing study keeps its patient.
RowId UpsertStudy(soci::session& sql, RowId hospital_id, RowId patient_row,
                  const InstanceMetadata& m) {
  RowId id = 0;
  sql << "INSERT INTO studies (hospital_id, patient_row, study_uid, study_date, study_time, "
         "description, accession, modalities, ai_models, ai_analyzed_at) "
         "VALUES (:hospital_id, :patient_row, :study_uid, :study_date, :study_time, "
         ":description, :accession, '', '[]', '') "
         "ON CONFLICT (hospital_id, study_uid) DO UPDATE SET " +
             FillEmpty("studies", {"study_date", "study_time", "description", "accession"}) +
             " RETURNING id",
      soci::use(hospital_id), soci::use(patient_row), soci::use(m.study_instance_uid),
      soci::use(m.study_date), soci::use(m.study_time), soci::use(m.study_description),
      soci::use(m.accession_number), soci::into(id);
  return id;
}

// Creates the series, or fills in its missing number, modality and description.
RowId UpsertSeries(soci::session& sql, RowId study_row, const InstanceMetadata& m) {
  RowId id = 0;
  OptionalNumber number(m.series_number);
  sql << "INSERT INTO series (study_row, series_uid, series_number, modality, description) "
         "VALUES (:study_row, :series_uid, :series_number, :modality, :description) "
         "ON CONFLICT (study_row, series_uid) DO UPDATE SET "
         "series_number = COALESCE(series.series_number, excluded.series_number), " +
             FillEmpty("series", {"modality", "description"}) + " RETURNING id",
      soci::use(study_row), soci::use(m.series_instance_uid),
      soci::use(number.value, number.indicator), soci::use(m.modality),
      soci::use(m.series_description), soci::into(id);
  return id;
}

// Recomputes studies.modalities from the study's series.
void RefreshModalities(soci::session& sql, RowId study_row) {
  std::vector<std::string> modalities;
  {
    std::string modality;
    soci::statement select = (sql.prepare << "SELECT DISTINCT modality FROM series "
                                             "WHERE study_row = :study_row AND modality <> ''",
                              soci::use(study_row), soci::into(modality));
    select.execute();
    while (select.fetch()) modalities.push_back(modality);
  }
  std::sort(modalities.begin(), modalities.end());
  std::string joined;
  for (const std::string& modality : modalities) {
    if (!joined.empty()) joined += '\\';
    joined += modality;
  }
  sql << "UPDATE studies SET modalities = :modalities WHERE id = :id", soci::use(joined),
      soci::use(study_row);
}

void InsertInstance(soci::session& sql, RowId hospital_id, RowId series_row,
                    const StoredInstance& instance) {
  const InstanceMetadata& m = instance.metadata;
  OptionalNumber number(m.instance_number);
  soci::indicator deflated_indicator = instance.deflated_size ? soci::i_ok : soci::i_null;
  const std::int64_t deflated = instance.deflated_size.value_or(0);
  sql << "INSERT INTO instances (hospital_id, series_row, sop_uid, sop_class_uid, "
         "instance_number, frames, transfer_syntax, size_bytes, sha256, orthanc_id, source, "
         "location_key, source_revision, deflated_bytes, pixel_rows, pixel_columns, "
         "samples_per_pixel, bits_allocated) VALUES (:hospital_id, :series_row, :sop_uid, "
         ":sop_class_uid, :instance_number, :frames, :transfer_syntax, :size_bytes, :sha256, "
         ":orthanc_id, :source, :location_key, :source_revision, :deflated_bytes, :pixel_rows, "
         ":pixel_columns, :samples_per_pixel, :bits_allocated)",
      soci::use(hospital_id), soci::use(series_row), soci::use(m.sop_instance_uid),
      soci::use(m.sop_class_uid), soci::use(number.value, number.indicator),
      soci::use(m.number_of_frames), soci::use(m.transfer_syntax_uid), soci::use(instance.size),
      soci::use(instance.sha256), soci::use(instance.orthanc_instance_id),
      soci::use(instance.location.source), soci::use(instance.location.key),
      soci::use(instance.source_revision), soci::use(deflated, deflated_indicator),
      soci::use(m.rows), soci::use(m.columns), soci::use(m.samples_per_pixel),
      soci::use(m.bits_allocated);
}

// Puts a study's AI results, if it has any, aside under its hospital and UID.
void DetachAiAnalysis(soci::session& sql, RowId study_row) {
  const std::string now = Iso8601(std::chrono::system_clock::now());
  sql << "INSERT INTO detached_ai_analyses "
         "(hospital_id, study_uid, analysis, models, analyzed_at, detached_at) "
         "SELECT hospital_id, study_uid, ai_analysis, ai_models, ai_analyzed_at, :now "
         "FROM studies WHERE id = :id AND ai_analysis IS NOT NULL "
         "ON CONFLICT (hospital_id, study_uid) DO UPDATE SET analysis = excluded.analysis, "
         "models = excluded.models, analyzed_at = excluded.analyzed_at, "
         "detached_at = excluded.detached_at",
      soci::use(now), soci::use(study_row);
}

// Gives a study the AI results put aside under its UID, unless it has its own.
void ReattachAiAnalysis(soci::session& sql, RowId hospital_id, RowId study_row,
                        const std::string& study_uid) {
  std::string analysis;
  std::string models;
  std::string analyzed_at;
  sql << "SELECT analysis, models, analyzed_at FROM detached_ai_analyses "
         "WHERE hospital_id = :hospital_id AND study_uid = :study_uid",
      soci::use(hospital_id), soci::use(study_uid), soci::into(analysis), soci::into(models),
      soci::into(analyzed_at);
  if (!sql.got_data()) return;
  sql << "UPDATE studies SET ai_analysis = :analysis, ai_models = :models, "
         "ai_analyzed_at = :analyzed_at WHERE id = :id AND ai_analysis IS NULL",
      soci::use(analysis), soci::use(models), soci::use(analyzed_at), soci::use(study_row);
  sql << "DELETE FROM detached_ai_analyses WHERE hospital_id = :hospital_id AND "
         "study_uid = :study_uid",
      soci::use(hospital_id), soci::use(study_uid);
}

// Gives the study the next change sequence number (schema version 9), in the
// transaction that changes it: an incremental export takes the studies numbered
// after its last run's watermark. A timestamp would race: a transaction stamped
// before a run's snapshot but committed after it would fall before the next run's
// "since" and never be exported; a number taken under the sequence row's lock and
// seen only once committed cannot.
void MarkStudyChanged(soci::session& sql, RowId study_row) {
  sql << "UPDATE change_sequence SET value = value + 1";
  sql << "UPDATE studies SET change_seq = (SELECT value FROM change_sequence) WHERE id = :id",
      soci::use(study_row);
}

// Records the instance under its patient, study and series, creating them as needed.
// Requires its UIDs and its hospital.
IngestOutcome InsertWithParents(soci::session& sql, RowId hospital_id,
                                const StoredInstance& instance) {
  const InstanceMetadata& m = instance.metadata;
  if (InstanceExists(sql, hospital_id, m.sop_instance_uid)) return IngestOutcome::kAlreadyPresent;
  // A study recorded under another patient keeps that patient, whose row this
  // instance's patient tags then leave untouched.
  const auto owner = FindStudyOwner(sql, hospital_id, m.study_instance_uid);
  const RowId patient_row = owner && owner->patient_id != m.patient_id
                                ? owner->patient_row
                                : UpsertPatient(sql, hospital_id, m);
  const RowId study_row = UpsertStudy(sql, hospital_id, patient_row, m);
  if (!owner) ReattachAiAnalysis(sql, hospital_id, study_row, m.study_instance_uid);
  const RowId series_row = UpsertSeries(sql, study_row, m);
  InsertInstance(sql, hospital_id, series_row, instance);
  RefreshModalities(sql, study_row);
  MarkStudyChanged(sql, study_row);
  return IngestOutcome::kAdded;
}

// The rows an instance hung from.
struct Parents {
  RowId series_row = 0;
  RowId study_row = 0;
  RowId patient_row = 0;
};

// Deletes the instance at `source`/`key`; the rows it hung from, nullopt when there
// was none.
std::optional<Parents> DeleteInstanceAt(soci::session& sql, const std::string& source,
                                        const std::string& key) {
  RowId id = 0;
  Parents parents;
  sql << "SELECT i.id, i.series_row, se.study_row, st.patient_row FROM instances i "
         "JOIN series se ON se.id = i.series_row JOIN studies st ON st.id = se.study_row "
         "WHERE i.source = :source AND i.location_key = :key",
      soci::use(source), soci::use(key), soci::into(id), soci::into(parents.series_row),
      soci::into(parents.study_row), soci::into(parents.patient_row);
  if (!sql.got_data()) return std::nullopt;
  sql << "DELETE FROM instances WHERE id = :id", soci::use(id);
  return parents;
}

// Deletes whichever of the series, study and patient are left empty, upwards; a
// study's AI results are put aside first.
void PruneEmpty(soci::session& sql, const Parents& parents) {
  sql << "DELETE FROM series WHERE id = :id AND NOT EXISTS "
         "(SELECT 1 FROM instances WHERE series_row = :id)",
      soci::use(parents.series_row, "id");
  int one = 0;
  sql << "SELECT 1 FROM series WHERE study_row = :id LIMIT 1", soci::use(parents.study_row),
      soci::into(one);
  if (sql.got_data()) {
    RefreshModalities(sql, parents.study_row);
    MarkStudyChanged(sql, parents.study_row);
  } else {
    DetachAiAnalysis(sql, parents.study_row);
    sql << "DELETE FROM studies WHERE id = :id", soci::use(parents.study_row);
  }
  sql << "DELETE FROM patients WHERE id = :id AND NOT EXISTS "
         "(SELECT 1 FROM studies WHERE patient_row = :id)",
      soci::use(parents.patient_row, "id");
}

// The name of the lock on the study `instance` belongs to.
std::string StudyLockName(RowId hospital_id, const StoredInstance& instance) {
  return std::to_string(hospital_id) + "/" + instance.metadata.study_instance_uid;
}

// kInvalidInput unless the instance has its SOP, series and study UIDs.
Status CheckIdentity(const InstanceMetadata& m) {
  if (m.sop_instance_uid.empty() || m.series_instance_uid.empty() || m.study_instance_uid.empty()) {
    return InvalidInput("an instance needs its SOP, series and study instance UIDs");
  }
  return Status::Ok();
}

}  // namespace

Result<IngestOutcome> SqlIndex::AddInstance(RowId hospital_id, const StoredInstance& instance) {
  if (Status s = CheckIdentity(instance.metadata); !s.ok()) return s.error();
  return Run(Access::kWrite, "adding an instance",
             [&](soci::session& sql) -> Result<IngestOutcome> {
               if (!HospitalExists(sql, hospital_id)) return NotFound("no such hospital");
               Lock(sql, LockName::kStudy, StudyLockName(hospital_id, instance));
               return InsertWithParents(sql, hospital_id, instance);
             });
}

Result<IngestOutcome> SqlIndex::ReplaceSourceInstance(RowId hospital_id,
                                                      const StoredInstance& instance) {
  if (Status s = CheckIdentity(instance.metadata); !s.ok()) return s.error();
  return Run(Access::kWrite, "replacing an instance",
             [&](soci::session& sql) -> Result<IngestOutcome> {
               if (!HospitalExists(sql, hospital_id)) return NotFound("no such hospital");
               Lock(sql, LockName::kStudy, StudyLockName(hospital_id, instance));
               const auto replaced =
                   DeleteInstanceAt(sql, instance.location.source, instance.location.key);
               const IngestOutcome outcome = InsertWithParents(sql, hospital_id, instance);
               if (replaced) PruneEmpty(sql, *replaced);
               return outcome;
             });
}

Result<std::int64_t> SqlIndex::RemoveSourceInstances(const std::string& source,
                                                     const std::vector<std::string>& keys) {
  return Run(Access::kWrite, "removing instances", [&](soci::session& sql) -> Result<std::int64_t> {
    std::int64_t removed = 0;
    for (const std::string& key : keys) {
      const auto parents = DeleteInstanceAt(sql, source, key);
      if (!parents) continue;
      ++removed;
      PruneEmpty(sql, *parents);
    }
    return removed;
  });
}

Result<bool> SqlIndex::IsLocationReferenced(const InstanceLocation& location) {
  return Run(Access::kRead, "looking up a location", [&](soci::session& sql) -> Result<bool> {
    int one = 0;
    sql << "SELECT 1 FROM instances WHERE source = :source AND location_key = :location_key "
           "LIMIT 1",
        soci::use(location.source), soci::use(location.key), soci::into(one);
    return sql.got_data();
  });
}

}  // namespace pacsport
