#include "ingest/ingestor.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/digest.h"
#include "dicom/initialize.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

using testing::ReadFile;

size_t StoredFiles(const std::filesystem::path& root) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dicom::Initialize();
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    store_ = LocalStore::Open(dir_.path() / "store").ValueOrThrow();
    hospital_ = index_->AddHospital("H").ValueOrThrow();
    ingestor_ = std::make_unique<Ingestor>(*index_, *store_);
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<LocalStore> store_;
  std::unique_ptr<Ingestor> ingestor_;
  RowId hospital_ = 0;
};

TEST_F(IngestorTest, StoresIndexesAndIsIdempotent) {
  const std::string bytes = ReadFile(testing::CorpusFile("CT_small.dcm"));
  auto first = ingestor_->Ingest(hospital_, bytes);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->outcome, IngestOutcome::kAdded);
  EXPECT_EQ(first->sha256, Sha256Hex(bytes));
  EXPECT_TRUE(store_->Contains(first->sha256));
  auto study = index_->GetStudy(hospital_, first->study_instance_uid);
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->number_of_instances, 1);

  auto second = ingestor_->Ingest(hospital_, bytes);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcome, IngestOutcome::kAlreadyPresent);
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 1u);
}

TEST_F(IngestorTest, SameSopInstanceWithOtherBytesLeavesNoOrphan) {
  std::string bytes = ReadFile(testing::CorpusFile("CT_small.dcm"));
  ASSERT_TRUE(ingestor_->Ingest(hospital_, bytes).ok());
  bytes.back() ^= 0x01;  // same identity, different pixel byte
  auto again = ingestor_->Ingest(hospital_, bytes);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, IngestOutcome::kAlreadyPresent);
  EXPECT_FALSE(store_->Contains(Sha256Hex(bytes)));
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 1u);
}

TEST_F(IngestorTest, RejectedFilesLeaveNothingBehind) {
  for (const char* name : {"MR_truncated.dcm", "README.txt", "rtplan_truncated.dcm"}) {
    auto result = ingestor_->Ingest(hospital_, ReadFile(testing::CorpusFile(name)));
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidInput) << name;
  }
  auto empty = ingestor_->Ingest(hospital_, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 0u);
  EXPECT_EQ(index_->ListPatients(hospital_, {}).ValueOrThrow().total, 0);
}

TEST_F(IngestorTest, HospitalsKeepTheirOwnCopies) {
  const RowId other = index_->AddHospital("Other").ValueOrThrow();
  const std::string bytes = ReadFile(testing::CorpusFile("MR_small.dcm"));
  ASSERT_EQ(ingestor_->Ingest(hospital_, bytes)->outcome, IngestOutcome::kAdded);
  ASSERT_EQ(ingestor_->Ingest(other, bytes)->outcome, IngestOutcome::kAdded);
  EXPECT_EQ(index_->ListPatients(hospital_, {}).ValueOrThrow().total, 1);
  EXPECT_EQ(index_->ListPatients(other, {}).ValueOrThrow().total, 1);
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 1u);  // one file, two index rows
}

}  // namespace
}  // namespace pacsport
