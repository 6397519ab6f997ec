#include "index/index.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "index/index_test_util.h"
#include "index/schema.h"

namespace pacsport {
namespace {

TEST_P(IndexTest, HospitalsAndUsers) {
  const RowId north = Hospital("North");
  const RowId south = Hospital("South");
  EXPECT_NE(north, south);
  EXPECT_EQ(index_->AddHospital("North").error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->AddHospital("").error().code(), ErrorCode::kInvalidInput);

  auto found = index_->FindHospital("South");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, south);
  EXPECT_EQ(found->name, "South");
  EXPECT_EQ(index_->FindHospital("West").error().code(), ErrorCode::kNotFound);

  ASSERT_TRUE(index_->AddUser("alice", south, Role::kAdmin, "$argon2id$hash").ok());
  EXPECT_EQ(index_->AddUser("alice", north, Role::kUser, "x").error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->AddUser("bob", 9999, Role::kUser, "x").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->AddUser("", north, Role::kUser, "x").error().code(), ErrorCode::kInvalidInput);

  auto alice = index_->FindUser("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_GT(alice->id, 0);
  EXPECT_EQ(alice->username, "alice");
  EXPECT_EQ(alice->hospital_id, south);
  EXPECT_EQ(alice->hospital_name, "South");
  EXPECT_EQ(alice->role, Role::kAdmin);
  EXPECT_EQ(alice->password_hash, "$argon2id$hash");
  EXPECT_EQ(index_->FindUser("bob").error().code(), ErrorCode::kNotFound);
}

TEST_P(IndexTest, AddInstanceCreatesTheHierarchy) {
  const RowId h = Hospital("H");
  Add(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1", 1, 1, "MR"));
  Add(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.2", 1, 2, "MR"));
  Add(h, MakeInstance("P1", "1.1", "1.1.2", "1.1.2.1", 2, 1, "CT"));

  auto patient = index_->GetPatient(h, "P1");
  ASSERT_TRUE(patient.ok()) << patient.error().message();
  EXPECT_EQ(patient->patient_id, "P1");
  EXPECT_EQ(patient->name, "NAME^P1");
  EXPECT_EQ(patient->birth_date, "19700101");
  EXPECT_EQ(patient->sex, "O");
  EXPECT_EQ(patient->study_count, 1);
  EXPECT_EQ(patient->latest_study_date, "20240102");

  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok()) << study.error().message();
  EXPECT_EQ(study->study_instance_uid, "1.1");
  EXPECT_EQ(study->patient_id, "P1");
  EXPECT_EQ(study->patient_name, "NAME^P1");
  EXPECT_EQ(study->study_date, "20240102");
  EXPECT_EQ(study->study_time, "101500");
  EXPECT_EQ(study->modality, "CT\\MR");
  EXPECT_EQ(study->study_description, "Study 1.1");
  EXPECT_EQ(study->accession_number, "ACC1.1");
  EXPECT_EQ(study->number_of_series, 2);
  EXPECT_EQ(study->number_of_instances, 3);
  EXPECT_EQ(study->total_bytes, 2100);
  EXPECT_FALSE(study->ai_analysis_json.has_value());
  EXPECT_TRUE(study->ai_models.empty());
  EXPECT_EQ(study->ai_analyzed_at, "");

  auto instances = index_->ListStudyInstances(h, "1.1");
  ASSERT_TRUE(instances.ok());
  ASSERT_EQ(instances->size(), 3u);
  const InstanceRecord& first = instances->front();
  EXPECT_GT(first.id, 0);
  EXPECT_EQ(first.sop_instance_uid, "1.1.1.1");
  EXPECT_EQ(first.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(first.study_instance_uid, "1.1");
  EXPECT_EQ(first.series_instance_uid, "1.1.1");
  EXPECT_EQ(first.patient_id, "P1");
  EXPECT_EQ(first.series_number, 1);
  EXPECT_EQ(first.instance_number, 1);
  EXPECT_EQ(first.number_of_frames, 1);
  EXPECT_EQ(first.transfer_syntax_uid, "1.2.840.10008.1.2.1");
  EXPECT_EQ(first.size, 700);
  EXPECT_EQ(first.sha256, "sha-1.1.1.1");
  EXPECT_EQ(first.orthanc_instance_id, "orthanc-1.1.1.1");
  EXPECT_EQ(first.location.source, "local");
  EXPECT_EQ(first.location.key, "sha-1.1.1.1");

  auto referenced = index_->IsLocationReferenced({"local", "sha-1.1.2.1"});
  ASSERT_TRUE(referenced.ok());
  EXPECT_TRUE(*referenced);
  EXPECT_FALSE(*index_->IsLocationReferenced({"orthanc", "sha-1.1.2.1"}));
  EXPECT_FALSE(*index_->IsLocationReferenced({"local", "sha-none"}));
}

TEST_P(IndexTest, AddInstanceIsIdempotent) {
  const RowId h = Hospital("H");
  const StoredInstance instance = MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1");
  Add(h, instance);
  StoredInstance again = instance;
  again.metadata.patient_name = "OTHER^NAME";
  again.metadata.study_description = "changed";
  again.size = 1;
  again.location.key = "elsewhere";
  auto second = index_->AddInstance(h, again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, IngestOutcome::kAlreadyPresent);

  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->number_of_instances, 1);
  EXPECT_EQ(study->total_bytes, instance.size);
  EXPECT_EQ(study->patient_name, "NAME^P1");
  EXPECT_EQ(study->study_description, "Study 1.1");
  EXPECT_FALSE(*index_->IsLocationReferenced({"local", "elsewhere"}));
}

TEST_P(IndexTest, EmptyPatientAndStudyFieldsAreFilledInLater) {
  const RowId h = Hospital("H");
  StoredInstance bare = MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1", std::nullopt);
  bare.metadata.patient_name = "";
  bare.metadata.patient_sex = "";
  bare.metadata.study_description = "";
  bare.metadata.modality = "";
  Add(h, bare);
  EXPECT_EQ(index_->GetStudy(h, "1.1")->modality, "");

  Add(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.2", 4, 2, "US"));
  StoredInstance renamed = MakeInstance("P1", "1.1", "1.1.1", "1.1.1.3", 5, 3, "MR");
  renamed.metadata.patient_name = "RENAMED";
  Add(h, renamed);

  auto patient = index_->GetPatient(h, "P1");
  ASSERT_TRUE(patient.ok());
  EXPECT_EQ(patient->name, "NAME^P1");  // filled once, never overwritten
  EXPECT_EQ(patient->sex, "O");
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->study_description, "Study 1.1");
  EXPECT_EQ(study->modality, "US");
  auto instances = index_->ListStudyInstances(h, "1.1");
  ASSERT_TRUE(instances.ok());
  for (const InstanceRecord& instance : *instances) EXPECT_EQ(instance.series_number, 4);
}

TEST_P(IndexTest, StudyUnderAnotherPatientKeepsItsFirstPatient) {
  const RowId h = Hospital("H");
  Add(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"));
  Add(h, MakeInstance("P2", "1.1", "1.1.1", "1.1.1.2"));
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->patient_id, "P1");
  EXPECT_EQ(study->number_of_instances, 2);
  EXPECT_EQ(index_->GetPatient(h, "P2").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->ListPatients(h, {})->total, 1);
}

TEST_P(IndexTest, AddInstanceRejectsBadInput) {
  const RowId h = Hospital("H");
  EXPECT_EQ(index_->AddInstance(h + 100, MakeInstance("P", "1", "1.1", "1.1.1")).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(index_->AddInstance(h, MakeInstance("P", "1", "1.1", "")).error().code(),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(index_->AddInstance(h, MakeInstance("P", "1", "", "1.1.1")).error().code(),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(index_->AddInstance(h, MakeInstance("P", "", "1.1", "1.1.1")).error().code(),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(index_->ListPatients(h, {})->total, 0);
}

TEST_P(IndexTest, HospitalsAreKeptApart) {
  const RowId a = Hospital("A");
  const RowId b = Hospital("B");
  const RowId empty = Hospital("Empty");
  StoredInstance in_a = MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1");
  StoredInstance in_b = in_a;
  in_b.metadata.patient_name = "B^PATIENT";
  in_b.metadata.study_description = "B study";
  in_b.location.key = "b-key";
  Add(a, in_a);
  Add(b, in_b);  // same Patient ID, Study UID and SOP UID: a separate record
  Add(a, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.2"));
  Add(a, MakeInstance("P9", "9.9", "9.9.1", "9.9.1.1"));

  EXPECT_EQ(index_->GetPatient(a, "P1")->name, "NAME^P1");
  EXPECT_EQ(index_->GetPatient(b, "P1")->name, "B^PATIENT");
  EXPECT_EQ(index_->GetStudy(a, "1.1")->number_of_instances, 2);
  EXPECT_EQ(index_->GetStudy(b, "1.1")->number_of_instances, 1);
  EXPECT_EQ(index_->GetStudy(b, "1.1")->study_description, "B study");
  auto b_instances = index_->ListStudyInstances(b, "1.1");
  ASSERT_TRUE(b_instances.ok());
  ASSERT_EQ(b_instances->size(), 1u);
  EXPECT_EQ(b_instances->front().location.key, "b-key");
  EXPECT_EQ(index_->ListStudyInstances(a, "1.1")->size(), 2u);

  EXPECT_EQ(index_->ListPatients(a, {})->total, 2);
  EXPECT_EQ(index_->ListPatients(b, {})->total, 1);
  EXPECT_EQ(index_->ListStudies(a, {})->total, 2);
  EXPECT_EQ(index_->ListStudies(b, {})->total, 1);
  StudyQuery search;
  search.search = "9.9";
  EXPECT_EQ(index_->ListStudies(a, search)->total, 1);
  EXPECT_EQ(index_->ListStudies(b, search)->total, 0);

  EXPECT_EQ(index_->GetPatient(b, "P9").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetStudy(b, "9.9").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->ListStudyInstances(b, "9.9").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetPatient(empty, "P1").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetStudy(empty, "1.1").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->ListStudyInstances(empty, "1.1").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->ListPatients(empty, {})->total, 0);
  EXPECT_EQ(index_->ListStudies(empty, {})->total, 0);
}

TEST_P(IndexTest, ListStudyInstancesOrdersMissingNumbersLast) {
  const RowId h = Hospital("H");
  // Added in scrambled order; expected: series 1 (instances 1, 2, then unnumbered by
  // SOP UID), series 2, then the series without a number.
  Add(h, MakeInstance("P", "1", "1.9", "1.9.1", std::nullopt, 1));
  Add(h, MakeInstance("P", "1", "1.2", "1.2.1", 2, 1));
  Add(h, MakeInstance("P", "1", "1.1", "1.1.b", 1, std::nullopt));
  Add(h, MakeInstance("P", "1", "1.1", "1.1.2", 1, 2));
  Add(h, MakeInstance("P", "1", "1.1", "1.1.a", 1, std::nullopt));
  Add(h, MakeInstance("P", "1", "1.1", "1.1.10", 1, 10));
  Add(h, MakeInstance("P", "1", "1.1", "1.1.1", 1, 1));
  auto instances = index_->ListStudyInstances(h, "1");
  ASSERT_TRUE(instances.ok());
  std::vector<std::string> order;
  for (const auto& instance : *instances) order.push_back(instance.sop_instance_uid);
  EXPECT_EQ(order, (std::vector<std::string>{"1.1.1", "1.1.2", "1.1.10", "1.1.a", "1.1.b", "1.2.1",
                                             "1.9.1"}));
  EXPECT_FALSE(instances->back().series_number.has_value());
  EXPECT_FALSE((*instances)[3].instance_number.has_value());
}

TEST_P(IndexTest, ConcurrentAddInstanceCountsExactly) {
  const RowId h = Hospital("H");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  // Every thread adds the same 60 instances (spread over 3 patients, 6 studies and
  // 12 series) plus 60 of its own, so upserts and duplicates race.
  std::atomic<int> added{0}, already{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string study = "2." + std::to_string(i % 6);
        const std::string series = study + "." + std::to_string(i % 12);
        const std::string patient = "P" + std::to_string(i % 3);
        for (const std::string& sop :
             {series + ".shared" + std::to_string(i),
              series + ".t" + std::to_string(t) + "." + std::to_string(i)}) {
          auto r = index_->AddInstance(h, MakeInstance(patient, study, series, sop, i % 12, i));
          if (!r.ok()) {
            ++errors;
          } else if (*r == IngestOutcome::kAdded) {
            ++added;
          } else {
            ++already;
          }
        }
        if (!index_->ListStudies(h, {}).ok()) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(added.load(), kPerThread + kThreads * kPerThread);
  EXPECT_EQ(already.load(), (kThreads - 1) * kPerThread);
  auto studies = index_->ListStudies(h, {});
  ASSERT_TRUE(studies.ok());
  EXPECT_EQ(studies->total, 6);
  std::int64_t instances = 0, series = 0;
  for (const auto& study : studies->items) {
    instances += study.number_of_instances;
    series += study.number_of_series;
  }
  EXPECT_EQ(instances, kPerThread + kThreads * kPerThread);
  EXPECT_EQ(series, 12);
  EXPECT_EQ(index_->ListPatients(h, {})->total, 3);
}

int SchemaVersionRows(soci::session& sql, int* version) {
  int rows = 0;
  sql << "SELECT COUNT(*), MAX(version) FROM schema_version", soci::into(rows),
      soci::into(*version);
  return rows;
}

TEST_P(IndexTest, ReopeningKeepsDataAndMigratesOnce) {
  const RowId h = Hospital("H");
  Add(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"));
  ASSERT_TRUE(index_->SetAiAnalysis(h, "1.1", R"({"a":1})", {"m"}, "2024-01-01T00:00:00Z").ok());
  Reopen();
  Reopen();
  int version = 0;
  EXPECT_EQ(SchemaVersionRows(*Direct(), &version), 1);
  EXPECT_EQ(version, kLatestSchemaVersion);
  EXPECT_EQ(index_->FindHospital("H")->id, h);
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->number_of_instances, 1);
  EXPECT_EQ(study->ai_analysis_json, R"({"a":1})");
  auto again = index_->AddInstance(h, MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, IngestOutcome::kAlreadyPresent);
  EXPECT_EQ(index_->AddHospital("H").error().code(), ErrorCode::kConflict);
}

TEST_P(SqliteIndexTest, OpenFailuresAreUnavailable) {
  auto missing_dir = OpenSqliteIndex((dir_ / "no" / "such" / "dir" / "x.db").string());
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().code(), ErrorCode::kUnavailable);

  const auto garbage = dir_ / "garbage.db";
  std::ofstream(garbage) << std::string(4096, 'x');
  auto not_a_db = OpenSqliteIndex(garbage.string());
  ASSERT_FALSE(not_a_db.ok());
  EXPECT_EQ(not_a_db.error().code(), ErrorCode::kUnavailable);

  index_.reset();
  {
    soci::session sql(soci::sqlite3, "db=\"" + db_path_.string() + "\"");
    sql << "UPDATE schema_version SET version = 99";
  }
  auto newer = OpenSqliteIndex(db_path_.string());
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(newer.error().message().find("99"), std::string::npos);
}

// The pool's size, and a session counted in use while its transaction waits for a
// write lock that another connection holds.
TEST_P(SqliteIndexTest, PoolUseCountsLeasedSessions) {
  EXPECT_EQ(index_->PoolUse().size, 4u);
  EXPECT_EQ(index_->PoolUse().in_use, 0u);
  soci::session other(soci::sqlite3, "db=\"" + db_path_.string() + "\"");
  other << "BEGIN IMMEDIATE";
  std::jthread writer([this] { EXPECT_TRUE(index_->AddHospital("Waiting").ok()); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (index_->PoolUse().in_use == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(index_->PoolUse().in_use, 1u);
  other << "COMMIT";
  writer.join();
  EXPECT_EQ(index_->PoolUse().in_use, 0u);
}

TEST(IndexUrlForLogTest, HidesPasswordsOnly) {
  EXPECT_EQ(IndexUrlForLog("postgresql://app:s3cr%40t@db:5432/pacs"),
            "postgresql://app:***@db:5432/pacs");
  EXPECT_EQ(IndexUrlForLog("postgresql://app@db:5432/pacs?password=x&sslmode=require"),
            "postgresql://app@db:5432/pacs?password=***&sslmode=require");
  EXPECT_EQ(IndexUrlForLog("postgresql://app@db:5432/pacs"), "postgresql://app@db:5432/pacs");
  EXPECT_EQ(IndexUrlForLog("postgresql://db/pacs?user=a:b@c"), "postgresql://db/pacs?user=a:b@c");
  EXPECT_TRUE(IsPostgresUrl("postgres://db/pacs"));
  EXPECT_FALSE(IsPostgresUrl("sqlite:///x"));
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(IndexTest);
PACSPORT_INDEX_TEST_ON_SQLITE(SqliteIndexTest);
}  // namespace
}  // namespace pacsport
