#include "index/index_test_util.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "index/postgres_connection.h"

namespace pacsport {
namespace {

// PACSPORT_TEST_POSTGRES_URL without a trailing slash; "" when unset.
std::string PostgresServerUrl() {
  const char* url = std::getenv("PACSPORT_TEST_POSTGRES_URL");
  std::string server = url != nullptr ? url : "";
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

std::unique_ptr<soci::session> PostgresSession(const std::string& url) {
  return std::make_unique<soci::session>(soci::postgresql,
                                         PostgresConnectionString(url).ValueOrThrow());
}

// A session on the server's maintenance database, for CREATE and DROP DATABASE.
std::unique_ptr<soci::session> MaintenanceSession() {
  return PostgresSession(PostgresServerUrl() + "/postgres");
}

}  // namespace

std::vector<IndexEngine> IndexEngines() {
  if (PostgresServerUrl().empty()) {
    static const bool said = [] {
      std::cerr << "index tests: PACSPORT_TEST_POSTGRES_URL is not set, so they run on "
                   "SQLite only\n";
      return true;
    }();
    (void)said;
    return {IndexEngine::kSqlite};
  }
  return {IndexEngine::kSqlite, IndexEngine::kPostgres};
}

std::string IndexEngineName(const ::testing::TestParamInfo<IndexEngine>& info) {
  return info.param == IndexEngine::kSqlite ? "Sqlite" : "Postgres";
}

void IndexTest::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pacsport-index-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  db_path_ = dir_ / "index.db";
  if (engine() == IndexEngine::kPostgres) {
    static std::atomic<int> counter{0};
    database_ = "pacsport_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    url_ = PostgresServerUrl() + "/" + database_;
    *MaintenanceSession() << "CREATE DATABASE " + database_ +
                                 " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'";
  }
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  index_ = std::move(opened).value();
}

void IndexTest::TearDown() {
  index_.reset();
  if (!database_.empty()) {
    *MaintenanceSession() << "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)";
  }
  std::filesystem::remove_all(dir_);
}

Result<std::unique_ptr<Index>> IndexTest::Open() const {
  return engine() == IndexEngine::kPostgres ? OpenPostgresIndex(url_)
                                            : OpenSqliteIndex(db_path_.string());
}

void IndexTest::Reopen() {
  index_.reset();
  auto opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  index_ = std::move(opened).value();
}

std::unique_ptr<soci::session> IndexTest::Direct() const {
  if (engine() == IndexEngine::kPostgres) {
    return PostgresSession(url_);
  }
  return std::make_unique<soci::session>(soci::sqlite3, "db=\"" + db_path_.string() + "\"");
}

RowId IndexTest::Hospital(const std::string& name) {
  auto id = index_->AddHospital(name);
  EXPECT_TRUE(id.ok()) << id.error().message();
  return id.ok() ? *id : 0;
}

void IndexTest::Add(RowId hospital, const StoredInstance& instance) {
  auto added = index_->AddInstance(hospital, instance);
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(*added, IngestOutcome::kAdded) << instance.metadata.sop_instance_uid;
}

StoredInstance MakeInstance(const std::string& patient_id, const std::string& study_uid,
                            const std::string& series_uid, const std::string& sop_uid,
                            std::optional<std::int64_t> series_number,
                            std::optional<std::int64_t> instance_number,
                            const std::string& modality) {
  StoredInstance s;
  InstanceMetadata& m = s.metadata;
  m.patient_id = patient_id;
  m.patient_name = "NAME^" + patient_id;
  m.patient_birth_date = "19700101";
  m.patient_sex = "O";
  m.study_instance_uid = study_uid;
  m.study_date = "20240102";
  m.study_time = "101500";
  m.study_description = "Study " + study_uid;
  m.accession_number = "ACC" + study_uid;
  m.series_instance_uid = series_uid;
  m.series_number = series_number;
  m.modality = modality;
  m.series_description = "Series " + series_uid;
  m.sop_instance_uid = sop_uid;
  m.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  m.instance_number = instance_number;
  m.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  m.number_of_frames = 1;
  s.size = static_cast<std::int64_t>(sop_uid.size()) * 100;
  s.sha256 = "sha-" + sop_uid;
  s.orthanc_instance_id = "orthanc-" + sop_uid;
  s.location = {"local", "sha-" + sop_uid};
  return s;
}

}  // namespace pacsport
