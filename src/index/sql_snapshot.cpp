// SqlIndex: snapshots for long readers (exports), each one read transaction on a
// connection of its own.
#include <soci/soci.h>

#include "index/sql_index.h"
#include "index/sql_rows.h"

namespace pacsport {
namespace {

using namespace sql_rows;

using Translate = Error (*)(const std::exception& e, std::string_view operation);

// The condition on a study row `s` of an incremental snapshot.
constexpr std::string_view kStudyChanged = "s.change_seq > :after AND s.change_seq <= :through";

// Runs body() and turns any exception into the dialect's Error.
template <typename Body>
std::invoke_result_t<Body&> Guard(Translate translate, std::string_view operation, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return translate(e, operation);
  }
}

class SqlPatientCursor final : public PatientCursor {
 public:
  SqlPatientCursor(soci::session& sql, RowId hospital_id, std::optional<ChangeRange> changes,
                   Translate translate)
      : statement_(sql), hospital_id_(hospital_id), changes_(changes), translate_(translate) {
    row_.Exchange(statement_);
    statement_.exchange(soci::use(hospital_id_));
    std::string where = " WHERE p.hospital_id = :hospital_id";
    if (changes_) {
      statement_.exchange(soci::use(changes_->after));
      statement_.exchange(soci::use(changes_->through));
      where += " AND EXISTS (SELECT 1 FROM studies s WHERE s.patient_row = p.id AND " +
               std::string(kStudyChanged) + ")";
    }
    statement_.alloc();
    statement_.prepare(std::string(kPatientsSelect) + " " + std::string(kPatientsFrom) + where +
                       " ORDER BY " + std::string(kPatientsOrder));
    statement_.define_and_bind();
    statement_.execute(false);
  }

  Result<std::optional<PatientRecord>> Next() override {
    return Guard(translate_, "listing patients", [&]() -> Result<std::optional<PatientRecord>> {
      if (done_ || !statement_.fetch()) {
        done_ = true;
        return std::optional<PatientRecord>();
      }
      return std::optional<PatientRecord>(row_.record);
    });
  }

 private:
  soci::statement statement_;
  PatientRow row_;
  RowId hospital_id_;
  std::optional<ChangeRange> changes_;  // bound by the statement
  const Translate translate_;
  bool done_ = false;
};

class SqlSnapshot final : public IndexSnapshot {
 public:
  SqlSnapshot(std::unique_ptr<soci::session> sql, RowId hospital_id, Translate translate)
      : sql_(std::move(sql)), hospital_id_(hospital_id), translate_(translate) {}

  ~SqlSnapshot() override {
    try {
      sql_->rollback();  // it only read
    } catch (const std::exception&) {
      // Closing the connection ends the transaction all the same.
    }
  }

  Result<PatientRecord> GetPatient(const std::string& patient_id) override {
    return Guard(translate_, "reading a patient", [&]() -> Result<PatientRecord> {
      SqlConditions where;
      where.Add("p.hospital_id = ?", {hospital_id_}).Add("p.patient_id = ?", {patient_id});
      auto patients = FetchPatients(*sql_, where, std::nullopt);
      if (patients.empty()) return NotFound("no such patient");
      return std::move(patients.front());
    });
  }

  Result<StudyRecord> GetStudy(const std::string& study_uid) override {
    return Guard(translate_, "reading a study", [&]() -> Result<StudyRecord> {
      SqlConditions where;
      where.Add("s.hospital_id = ?", {hospital_id_}).Add("s.study_uid = ?", {study_uid});
      auto studies = FetchStudies(*sql_, where, "", std::nullopt);
      if (studies.empty()) return NotFound("no such study");
      return std::move(studies.front());
    });
  }

  Result<std::vector<StudyRecord>> ListPatientStudies(const std::string& patient_id) override {
    return Guard(translate_, "listing a patient's studies",
                 [&]() -> Result<std::vector<StudyRecord>> {
                   // By the patient's row, so that SQLite takes index studies_patient: with the
                   // hospital and the Patient ID it scans the hospital's studies (studies_date),
                   // for every patient of an export of all.
                   RowId patient_row = 0;
                   *sql_ << "SELECT id FROM patients WHERE hospital_id = :hospital_id "
                            "AND patient_id = :patient_id",
                       soci::use(hospital_id_), soci::use(patient_id), soci::into(patient_row);
                   if (!sql_->got_data()) return NotFound("no such patient");
                   SqlConditions where;
                   where.Add("s.patient_row = ?", {patient_row});
                   if (changes_) {
                     where.Add("s.change_seq > ? AND s.change_seq <= ?",
                               {changes_->after, changes_->through});
                   }
                   return FetchStudies(*sql_, where, StudyOrder(StudySort::kDateAsc), std::nullopt);
                 });
  }

  Result<std::vector<InstanceRecord>> ListStudyInstances(const std::string& study_uid) override {
    return Guard(
        translate_, "listing a study's instances", [&]() -> Result<std::vector<InstanceRecord>> {
          if (!StudyExists(*sql_, hospital_id_, study_uid)) {
            return NotFound("no such study");
          }
          SqlConditions where;
          where.Add("s.hospital_id = ?", {hospital_id_}).Add("s.study_uid = ?", {study_uid});
          std::vector<InstanceRecord> instances;
          InstanceRow row;
          where.ForEachRow(
              *sql_, kInstancesSelect, kInstancesFrom, "", std::nullopt,
              [&](soci::statement& st) { row.Exchange(st); },
              [&] { instances.push_back(row.Record()); });
          SortForExport(instances);
          return instances;
        });
  }

  Result<std::string> FindSeriesStudy(const std::string& series_uid) override {
    return Guard(translate_, "finding a series", [&]() -> Result<std::string> {
      std::string study_uid;
      *sql_ << "SELECT s.study_uid FROM series x JOIN studies s ON s.id = x.study_row "
               "WHERE s.hospital_id = :hospital_id AND x.series_uid = :series_uid "
               "ORDER BY s.id LIMIT 1",
          soci::use(hospital_id_), soci::use(series_uid), soci::into(study_uid);
      if (!sql_->got_data()) return NotFound("no such series");
      return study_uid;
    });
  }

  Result<std::unique_ptr<PatientCursor>> ListAllPatients() override {
    return Guard(translate_, "listing patients", [&]() -> Result<std::unique_ptr<PatientCursor>> {
      return std::unique_ptr<PatientCursor>(
          std::make_unique<SqlPatientCursor>(*sql_, hospital_id_, changes_, translate_));
    });
  }

  Result<std::vector<std::string>> ListSources() override {
    return Guard(translate_, "listing sources", [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> sources;
      std::string last;
      while (true) {
        // The next source of any hospital (index instances_location), then whether
        // this hospital has an instance there ("+" keeps SQLite on that index).
        std::string next;
        soci::indicator present = soci::i_null;
        *sql_ << "SELECT MIN(source) FROM instances WHERE source > :last", soci::use(last),
            soci::into(next, present);
        if (present != soci::i_ok) return sources;
        int one = 0;
        *sql_ << "SELECT 1 FROM instances WHERE source = :source AND +hospital_id = :hospital_id "
                 "LIMIT 1",
            soci::use(next), soci::use(hospital_id_), soci::into(one);
        if (sql_->got_data()) sources.push_back(next);
        last = std::move(next);
      }
    });
  }

  Result<SnapshotTotals> Totals(TotalsOf of, const std::string& id) override {
    return Guard(translate_, "adding up instances", [&]() -> Result<SnapshotTotals> {
      std::string query = "SELECT i.source, COUNT(*), COALESCE(SUM(i.size_bytes), 0) ";
      switch (of) {
        case TotalsOf::kHospital:
          query += changes_ ? "FROM instances i JOIN series x ON x.id = i.series_row "
                              "JOIN studies s ON s.id = x.study_row "
                              "WHERE i.hospital_id = :hospital_id AND " +
                                  std::string(kStudyChanged)
                            : "FROM instances i WHERE i.hospital_id = :hospital_id";
          break;
        case TotalsOf::kPatient:
          query +=
              "FROM instances i JOIN series x ON x.id = i.series_row "
              "JOIN studies s ON s.id = x.study_row JOIN patients p ON p.id = s.patient_row "
              "WHERE p.hospital_id = :hospital_id AND p.patient_id = :id";
          break;
        case TotalsOf::kStudy:
          query +=
              "FROM instances i JOIN series x ON x.id = i.series_row "
              "JOIN studies s ON s.id = x.study_row "
              "WHERE s.hospital_id = :hospital_id AND s.study_uid = :id";
          break;
        case TotalsOf::kSeries:
          // The series of FindSeriesStudy's study, should two studies hold the UID.
          query +=
              "FROM instances i WHERE i.series_row = (SELECT x.id FROM series x "
              "JOIN studies s ON s.id = x.study_row WHERE s.hospital_id = :hospital_id "
              "AND x.series_uid = :id ORDER BY s.id LIMIT 1)";
          break;
      }
      query += " GROUP BY i.source ORDER BY i.source";
      SnapshotTotals totals;
      std::string source;
      std::int64_t count = 0;
      std::int64_t bytes = 0;
      soci::statement statement(*sql_);
      statement.exchange(soci::into(source));
      statement.exchange(soci::into(count));
      statement.exchange(soci::into(bytes));
      statement.exchange(soci::use(hospital_id_));
      if (of != TotalsOf::kHospital) statement.exchange(soci::use(id));
      if (of == TotalsOf::kHospital && changes_) {
        statement.exchange(soci::use(changes_->after));
        statement.exchange(soci::use(changes_->through));
      }
      statement.alloc();
      statement.prepare(query);
      statement.define_and_bind();
      statement.execute(false);
      while (statement.fetch()) {
        totals.sources.push_back(source);
        totals.instances += count;
        totals.bytes += bytes;
      }
      return totals;
    });
  }

  void LimitToChanges(const ChangeRange& range) override { changes_ = range; }

 private:
  const std::unique_ptr<soci::session> sql_;
  const RowId hospital_id_;
  const Translate translate_;
  std::optional<ChangeRange> changes_;  // an incremental snapshot's
};

}  // namespace

Result<std::unique_ptr<IndexSnapshot>> SqlIndex::OpenSnapshot(RowId hospital_id) {
  if (!open_session_) return Unavailable("index: this backend keeps no snapshots");
  return Guard(
      dialect_.translate, "opening a snapshot", [&]() -> Result<std::unique_ptr<IndexSnapshot>> {
        std::unique_ptr<soci::session> sql = open_session_();
        *sql << std::string(dialect_.begin_read);
        // SQLite starts reading at the first statement, not at BEGIN: read
        // once now, so that the snapshot is the index as it is now.
        int hospitals = 0;
        *sql << "SELECT COUNT(*) FROM hospitals WHERE id = :id", soci::use(hospital_id),
            soci::into(hospitals);
        return std::unique_ptr<IndexSnapshot>(
            std::make_unique<SqlSnapshot>(std::move(sql), hospital_id, dialect_.translate));
      });
}

}  // namespace pacsport
