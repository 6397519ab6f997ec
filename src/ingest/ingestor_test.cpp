#include "ingest/ingestor.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/digest.h"
#include "dicom/initialize.h"
#include "dicom/test_objects.h"
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

// A deflate bomb is refused while it inflates, on upload and from a file alike, and
// leaves nothing behind.
TEST_F(IngestorTest, RefusesDatasetsThatInflateBeyondTheLimit) {
  Ingestor limited(*index_, *store_, dicom::ParseLimits{std::uint64_t{4} << 20});
  const std::string bomb = testing::DeflateBomb(8, 1u << 20);
  const auto path = dir_.path() / "bomb.dcm";
  std::ofstream(path, std::ios::binary) << bomb;
  for (const auto& result :
       {limited.Ingest(hospital_, bomb), limited.IngestFile(hospital_, path)}) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code(), ErrorCode::kPayloadTooLarge);
    EXPECT_EQ(result.error().message(), "the deflated DICOM dataset inflates beyond 4 MiB");
  }
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 0u);
  EXPECT_EQ(index_->ListPatients(hospital_, {}).ValueOrThrow().total, 0);
  EXPECT_TRUE(ingestor_->Ingest(hospital_, bomb).ok());  // 8 MiB is within the default
}

TEST_F(IngestorTest, IngestsFromAFileLikeFromMemory) {
  const auto path = testing::CorpusFile("MR_small.dcm");
  const std::string bytes = ReadFile(path);
  auto from_file = ingestor_->IngestFile(hospital_, path);
  ASSERT_TRUE(from_file.ok()) << from_file.error().message();
  EXPECT_EQ(from_file->outcome, IngestOutcome::kAdded);
  EXPECT_EQ(from_file->sha256, Sha256Hex(bytes));
  EXPECT_EQ(from_file->size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(store_->Read({LocalStore::kSourceName, from_file->sha256}).ValueOrThrow(), bytes);
  EXPECT_EQ(ingestor_->Ingest(hospital_, bytes)->outcome, IngestOutcome::kAlreadyPresent);
  EXPECT_EQ(ingestor_->IngestFile(hospital_, path)->outcome, IngestOutcome::kAlreadyPresent);
}

TEST_F(IngestorTest, RefusesWhatIsNotAReadableFile) {
  const auto directory = ingestor_->IngestFile(hospital_, dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code(), ErrorCode::kInvalidInput);
  const auto missing = ingestor_->IngestFile(hospital_, dir_.path() / "missing.dcm");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnavailable);
  const auto empty_path = dir_.path() / "empty.dcm";
  std::ofstream(empty_path).close();
  const auto empty = ingestor_->IngestFile(hospital_, empty_path);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(StoredFiles(dir_.path() / "store"), 0u);
}

}  // namespace
}  // namespace pacsport
