// Test support for the index: a fresh index in its own temporary directory, on each
// engine the tests are given, and builders of stored instances. For tests only; not
// thread-safe.
//
// Engines: SQLite always; PostgreSQL too when PACSPORT_TEST_POSTGRES_URL names a
// server (postgresql://user@host:port, no database) on which the tests may CREATE
// and DROP databases: each test gets a database of its own. A suite derived from
// IndexTest runs on every engine with PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(Suite), or
// on SQLite alone (what it tests is SQLite's file) with PACSPORT_INDEX_TEST_ON_SQLITE.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/index.h"

namespace soci {
class session;
}  // namespace soci

namespace pacsport {

enum class IndexEngine { kSqlite, kPostgres };

// kSqlite, then kPostgres when PACSPORT_TEST_POSTGRES_URL is set (saying so on
// stderr, once, when it is not).
std::vector<IndexEngine> IndexEngines();
std::string IndexEngineName(const ::testing::TestParamInfo<IndexEngine>& info);

class IndexTest : public ::testing::TestWithParam<IndexEngine> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the index and opens the same database again.
  void Reopen();
  // A connection of its own to the test's database, as someone with database access.
  std::unique_ptr<soci::session> Direct() const;
  // Adds a hospital, failing the test when that fails.
  RowId Hospital(const std::string& name);
  // Adds `instance` to `hospital`, expecting it to be new.
  void Add(RowId hospital, const StoredInstance& instance);

  IndexEngine engine() const { return GetParam(); }
  // One more index on the test's database, as a second replica opens it.
  Result<std::unique_ptr<Index>> Open() const;

  std::filesystem::path dir_;
  std::filesystem::path db_path_;  // the SQLite file (kSqlite)
  std::string database_;           // the PostgreSQL database (kPostgres)
  std::string url_;                // its URL
  std::unique_ptr<Index> index_;
};

// A suite of tests that hold for the SQLite file alone (old schema versions, file
// faults).
class SqliteIndexTest : public IndexTest {};

#define PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(Suite) \
  INSTANTIATE_TEST_SUITE_P(Engines, Suite, ::testing::ValuesIn(IndexEngines()), IndexEngineName)
#define PACSPORT_INDEX_TEST_ON_SQLITE(Suite) \
  INSTANTIATE_TEST_SUITE_P(Sqlite, Suite, ::testing::Values(IndexEngine::kSqlite), IndexEngineName)

// An instance with the given identity; the other fields derive from the SOP UID
// (size = length of the SOP UID * 100, sha256 and location key "sha-<sop>").
StoredInstance MakeInstance(const std::string& patient_id, const std::string& study_uid,
                            const std::string& series_uid, const std::string& sop_uid,
                            std::optional<std::int64_t> series_number = 1,
                            std::optional<std::int64_t> instance_number = 1,
                            const std::string& modality = "CT");

}  // namespace pacsport
