#include "zip/spill_file.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace pacsport::zip {
namespace {

void ExpectReadsBack(std::size_t memory_bytes, bool spilled) {
  std::optional<SpillFile> file;
  file.emplace(memory_bytes);
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    expected += line;
    ASSERT_TRUE(file->Append(line).ok());
  }
  EXPECT_EQ(file->size(), expected.size());
  for (int pass = 0; pass < 2; ++pass) {
    std::string read;
    ASSERT_TRUE(file->ForEachChunk(4093,
                                   [&](std::string_view chunk) {
                                     EXPECT_LE(chunk.size(), 4093u);
                                     read.append(chunk);
                                     return Status::Ok();
                                   })
                    .ok());
    EXPECT_EQ(read, expected);
  }
  std::string piece;
  EXPECT_EQ(file->ReadAt(expected.size() - 3, 4, piece).error().code(), ErrorCode::kInternal);
  ASSERT_TRUE(file->ReadAt(7, 5, piece).ok());
  EXPECT_EQ(piece, expected.substr(7, 5));
  EXPECT_EQ(file->spilled(), spilled);
}

TEST(SpillFileTest, ReadsBackWhatWasAppendedInChunks) {
  ExpectReadsBack(0, true);
  ExpectReadsBack(1000, true);
  ExpectReadsBack(std::size_t{1} << 30, false);
}

TEST(SpillFileTest, StopsAtTheFirstError) {
  std::optional<SpillFile> file;
  file.emplace(0);
  ASSERT_TRUE(file->Append(std::string(10000, 'x')).ok());
  int calls = 0;
  const Status s = file->ForEachChunk(100, [&](std::string_view) -> Status {
    ++calls;
    return Unavailable("sink gone");
  });
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

TEST(SpillFileTest, FailsWhenItCannotSpill) {
  SpillFile file(10, "/nonexistent/pacsport");
  EXPECT_TRUE(file.Append("0123456789").ok());
  EXPECT_EQ(file.Append("x").error().code(), ErrorCode::kUnavailable);
}

TEST(RecordSpillTest, RecordsComeBackInOrderIncludingEmptyAndLargeOnes) {
  std::optional<RecordSpill> spill;
  spill.emplace(1000);
  std::vector<std::string> records = {"", "a", std::string(200000, 'b'), "c\nd", ""};
  for (int i = 0; i < 5000; ++i) records.push_back("record " + std::to_string(i));
  for (const std::string& r : records) ASSERT_TRUE(spill->Append(r).ok());
  EXPECT_EQ(spill->count(), records.size());
  for (int pass = 0; pass < 2; ++pass) {
    auto reader = spill->Read();
    for (const std::string& r : records) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok());
      ASSERT_TRUE(next->has_value());
      EXPECT_EQ(**next, r);
    }
    auto end = reader.Next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
  }
}

}  // namespace
}  // namespace pacsport::zip
