// JobArchiveFile: an archive appears under its final name only when committed, and
// nothing stays behind otherwise.
#include "export/job_archive_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(JobArchiveFileTest, CommitRenamesTheCompleteFileAndKnowsItsDigest) {
  testing::TempDir dir;
  auto file = JobArchiveFile::Create(dir.path(), "job1", 1, "zip", 1 << 30).ValueOrThrow();
  const std::string block(3 << 20, 'x');  // more than one buffered block
  ASSERT_TRUE(file->Write(block.data(), block.size()).ok());
  ASSERT_TRUE(file->Write("end", 3).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "job1.1.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "job1.zip"));
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "job1.1.partial"));
  EXPECT_EQ(Read(dir.path() / "job1.zip"), block + "end");
  EXPECT_EQ(file->sha256(), Sha256Hex(block + "end"));
  EXPECT_EQ(file->size(), block.size() + 3);
  file.reset();
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "job1.zip"));
}

TEST(JobArchiveFileTest, DroppedUncommittedOrOverItsLimitLeavesNothing) {
  testing::TempDir dir;
  {
    auto file = JobArchiveFile::Create(dir.path(), "job2", 1, "json", 10).ValueOrThrow();
    ASSERT_TRUE(file->Write("0123456789", 10).ok());
    EXPECT_EQ(file->Write("!", 1).error().code(), ErrorCode::kPayloadTooLarge);
    EXPECT_FALSE(file->Write("", 0).ok()) << "a failed archive took another write";
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(JobArchiveFileTest, RemovePartialsClearsTheJobsEarlierAttempts) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "a.1.partial") << "half";
  std::ofstream(dir.path() / "a.2.partial") << "half";
  std::ofstream(dir.path() / "ab.1.partial") << "another job's";
  std::ofstream(dir.path() / "b.zip") << "whole";
  EXPECT_EQ(JobArchiveFile::RemovePartials(dir.path(), "a"), 2);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "b.zip"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "ab.1.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.1.partial"));
}

TEST(JobArchiveFileTest, EachAttemptWritesItsOwnPartialFile) {
  testing::TempDir dir;
  auto lost = JobArchiveFile::Create(dir.path(), "job3", 1, "zip", 1 << 20).ValueOrThrow();
  auto winner = JobArchiveFile::Create(dir.path(), "job3", 2, "zip", 1 << 20).ValueOrThrow();
  ASSERT_TRUE(winner->Write("won", 3).ok());
  ASSERT_TRUE(winner->Commit().ok());
  lost.reset();  // the loser's partial goes, the winner's archive stays
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "job3.zip"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "job3.1.partial"));
}

}  // namespace
}  // namespace pacsport
