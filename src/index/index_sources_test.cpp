#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>

#include "index/index.h"
#include "index/index_test_util.h"
#include "index/schema.h"

namespace pacsport {
namespace {

StoredInstance AtSource(StoredInstance instance, const std::string& source, const std::string& key,
                        const std::string& revision = "") {
  instance.location = {source, key};
  instance.source_revision = revision;
  return instance;
}

// The keys of a source's entries, sorted.
std::vector<std::string> Keys(const std::vector<SourceEntry>& entries) {
  std::vector<std::string> keys;
  for (const SourceEntry& entry : entries) keys.push_back(entry.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

class SourcesTest : public IndexTest {};
// Upgrades of SQLite files made by earlier versions.
using SqliteSourcesTest = SqliteIndexTest;

TEST_P(SourcesTest, ListsTheInstancesOfOneSourceOnly) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1", "r1"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.2"), "pacs-a", "a2"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.3"), "pacs-b", "b1"));
  auto entries = index_->ListSourceInstances("pacs-a");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(Keys(*entries), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(index_->ListSourceInstances("pacs-c")->empty());

  auto found = index_->FindSourceInstance({"pacs-a", "a1"});
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->revision, "r1");
  EXPECT_EQ((*found)->size, 700);  // MakeInstance: 100 per character of the SOP UID
  EXPECT_FALSE(index_->FindSourceInstance({"pacs-b", "a1"})->has_value());

  ASSERT_TRUE(index_->SetSourceRevisions("pacs-a", {{"a2", "r2", 0}, {"zz", "r9", 0}}).ok());
  EXPECT_EQ((*index_->FindSourceInstance({"pacs-a", "a2"}))->revision, "r2");
  EXPECT_EQ((*index_->FindSourceInstance({"pacs-a", "a2"}))->size, 700);
}

TEST_P(SourcesTest, RemovingPrunesWhatIsLeftEmpty) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1", 1, 1, "MR"), "pacs-a", "a1"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.2", "1.1.2.1", 2, 1, "CT"), "pacs-a", "a2"));
  Add(h, AtSource(MakeInstance("P2", "2.1", "2.1.1", "2.1.1.1"), "pacs-a", "a3"));
  Add(h, AtSource(MakeInstance("P2", "2.2", "2.2.1", "2.2.1.1"), "local", "l1"));

  auto removed = index_->RemoveSourceInstances("pacs-a", {"a2", "a3", "unknown"});
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_EQ(*removed, 2);

  // Study 1.1 keeps its MR series only, and its modalities follow.
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->number_of_series, 1);
  EXPECT_EQ(study->number_of_instances, 1);
  EXPECT_EQ(study->modality, "MR");
  // Study 2.1 lost its only instance; its patient keeps the other study.
  EXPECT_EQ(index_->GetStudy(h, "2.1").error().code(), ErrorCode::kNotFound);
  auto p2 = index_->GetPatient(h, "P2");
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->study_count, 1);

  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  EXPECT_EQ(index_->GetPatient(h, "P1").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(index_->ListSourceInstances("pacs-a")->empty());
  EXPECT_EQ(index_->ListSourceInstances("local")->size(), 1u);
}

TEST_P(SourcesTest, RemovedInstancesCanComeBack) {
  const RowId h = Hospital("H");
  const StoredInstance instance =
      AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1");
  Add(h, instance);
  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  Add(h, instance);
  EXPECT_EQ(index_->GetStudy(h, "1.1")->number_of_instances, 1);
}

TEST_P(SourcesTest, ReplacingKeepsTheStudyAndTakesTheNewBytes) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1", "old"));
  ASSERT_TRUE(index_->SetAiAnalysis(h, "1.1", R"({"n":1})", {"m"}, "2026-01-01T00:00:00Z").ok());
  StoredInstance replacement =
      AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1", "new");
  replacement.sha256 = "new-sha";
  replacement.size = 4242;

  auto replaced = index_->ReplaceSourceInstance(h, replacement);
  ASSERT_TRUE(replaced.ok()) << replaced.error().message();
  EXPECT_EQ(*replaced, IngestOutcome::kAdded);
  auto instances = index_->ListStudyInstances(h, "1.1");
  ASSERT_TRUE(instances.ok());
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_EQ((*instances)[0].sha256, "new-sha");
  EXPECT_EQ((*instances)[0].size, 4242);
  EXPECT_EQ((*index_->FindSourceInstance({"pacs-a", "a1"}))->revision, "new");
  EXPECT_EQ(index_->GetStudy(h, "1.1")->ai_analysis_json, R"({"n":1})");
}

TEST_P(SourcesTest, ReplacingWithAnotherSopUidPrunesTheOldParents) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1"));
  ASSERT_TRUE(index_
                  ->ReplaceSourceInstance(
                      h, AtSource(MakeInstance("P2", "2.1", "2.1.1", "2.1.1.1"), "pacs-a", "a1"))
                  .ok());
  EXPECT_EQ(index_->GetPatient(h, "P1").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetStudy(h, "2.1")->number_of_instances, 1);
  EXPECT_EQ(index_->ListSourceInstances("pacs-a")->size(), 1u);
}

TEST_P(SourcesTest, AiResultsOfAPrunedStudyComeBackWithIt) {
  const RowId h = Hospital("H");
  const RowId other = Hospital("Other");
  const StoredInstance instance =
      AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1");
  Add(h, instance);
  ASSERT_TRUE(index_->SetAiAnalysis(h, "1.1", R"({"n":1})", {"m"}, "2026-01-01T00:00:00Z").ok());
  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  EXPECT_EQ(index_->GetStudy(h, "1.1").error().code(), ErrorCode::kNotFound);
  Reopen();

  // The same Study UID in another hospital is another study.
  Add(other, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-o", "o1"));
  EXPECT_FALSE(index_->GetStudy(other, "1.1")->ai_analysis_json.has_value());

  Add(h, instance);
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->ai_analysis_json, R"({"n":1})");
  EXPECT_EQ(study->ai_models, std::vector<std::string>{"m"});
  EXPECT_EQ(study->ai_analyzed_at, "2026-01-01T00:00:00Z");

  // And again, however often the study goes and comes back.
  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  Add(h, instance);
  EXPECT_EQ(index_->GetStudy(h, "1.1")->ai_analysis_json, R"({"n":1})");
}

TEST_P(SqliteSourcesTest, InstancesIndexedBeforeVersion3HaveNoRevision) {
  const auto path = dir_ / "version2.db";
  {
    soci::session sql(soci::sqlite3, "db=\"" + path.string() + "\"");
    sql << SchemaVersionTableStatement();
    for (int version : {1, 2}) {
      for (const std::string& statement : MigrationStatements(version, "INTEGER PRIMARY KEY")) {
        sql << statement;
      }
    }
    sql << "INSERT INTO schema_version (version) VALUES (2)";
    sql << "INSERT INTO hospitals (id, name, created_at) VALUES (1, 'H', '')";
    sql << "INSERT INTO patients (id, hospital_id, patient_id, name, birth_date, sex) "
           "VALUES (1, 1, 'P1', '', '', '')";
    sql << "INSERT INTO studies (id, hospital_id, patient_row, study_uid, study_date, "
           "study_time, description, accession, modalities, ai_models, ai_analyzed_at) "
           "VALUES (1, 1, 1, '1.1', '', '', '', '', '', '[]', '')";
    sql << "INSERT INTO series (id, study_row, series_uid, modality, description) "
           "VALUES (1, 1, '1.1.1', '', '')";
    sql << "INSERT INTO instances (hospital_id, series_row, sop_uid, sop_class_uid, frames, "
           "transfer_syntax, size_bytes, sha256, orthanc_id, source, location_key) "
           "VALUES (1, 1, '1.1.1.1', '', 1, '', 1234, 'sha', 'oid', 'pacs-a', 'a1')";
  }
  auto upgraded = OpenSqliteIndex(path.string());
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message();
  auto entries = (*upgraded)->ListSourceInstances("pacs-a");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].key, "a1");
  EXPECT_EQ((*entries)[0].revision, "");
  EXPECT_EQ((*entries)[0].size, 1234);
}

TEST_P(SqliteSourcesTest, PatientsRecordedBeforeVersion10GetTheirNameSearchKeys) {
  const auto path = dir_ / "version9.db";
  {
    soci::session sql(soci::sqlite3, "db=\"" + path.string() + "\"");
    sql << SchemaVersionTableStatement();
    for (int version = 1; version < kNameKeyVersion; ++version) {
      for (const std::string& statement : MigrationStatements(version, "INTEGER PRIMARY KEY")) {
        sql << statement;
      }
    }
    sql << "INSERT INTO schema_version (version) VALUES (9)";
    sql << "INSERT INTO hospitals (id, name, created_at) VALUES (1, 'H', '')";
    sql << "INSERT INTO patients (id, hospital_id, patient_id, name, birth_date, sex) "
           "VALUES (1, 1, 'P1', 'Doé^Peter', '', '')";
  }
  auto upgraded = OpenSqliteIndex(path.string());
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message();
  auto found = (*upgraded)->ListPatients(1, PatientQuery{"peter, DOE", {}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].patient_id, "P1");
}

TEST_P(SourcesTest, CursorsSurviveReopening) {
  EXPECT_FALSE(index_->GetSourceCursor("pacs-a")->has_value());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-a", {12, "2026-11-28T12:00:00Z"}).ok());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-a", {57, "2026-11-28T13:00:00Z"}).ok());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-b", {3, "2026-11-28T13:00:01Z"}).ok());
  Reopen();
  auto cursor = index_->GetSourceCursor("pacs-a");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->last_change, 57);
  EXPECT_EQ((*cursor)->synced_at, "2026-11-28T13:00:00Z");
  EXPECT_EQ((*index_->GetSourceCursor("pacs-b"))->last_change, 3);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(SourcesTest);
PACSPORT_INDEX_TEST_ON_SQLITE(SqliteSourcesTest);
}  // namespace
}  // namespace pacsport
