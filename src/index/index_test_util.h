// Test support for the index: a fresh SQLite index in its own temporary directory,
// and builders of stored instances. For tests only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "index/index.h"

namespace pacsport {

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the index and opens the same file again.
  void Reopen();
  // Adds a hospital, failing the test when that fails.
  RowId Hospital(const std::string& name);
  // Adds `instance` to `hospital`, expecting it to be new.
  void Add(RowId hospital, const StoredInstance& instance);

  std::filesystem::path dir_;
  std::filesystem::path db_path_;
  std::unique_ptr<Index> index_;
};

// An instance with the given identity; the other fields derive from the SOP UID
// (size = length of the SOP UID * 100, sha256 and location key "sha-<sop>").
StoredInstance MakeInstance(const std::string& patient_id, const std::string& study_uid,
                            const std::string& series_uid, const std::string& sop_uid,
                            std::optional<std::int64_t> series_number = 1,
                            std::optional<std::int64_t> instance_number = 1,
                            const std::string& modality = "CT");

}  // namespace pacsport
