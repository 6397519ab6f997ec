// ZIP64 for sizes and offsets past 4 GiB, without storing 4 GiB: the archive goes to a
// sink that counts every byte but keeps only the tail, which is then parsed.
#include <gtest/gtest.h>
#include <zlib.h>

#include "zip/archive_layout.h"
#include "zip/zip_writer.h"

namespace pacsport::zip {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kChunk = 4 * kMiB;
constexpr uint64_t kBigSize = 4196 * kMiB;  // 4.1 GiB, a whole number of chunks
constexpr uint32_t kMoved = 0xFFFFFFFF;
constexpr uint16_t kZip64Id = 0x0001;

// Counts everything, keeps the last `keep` bytes (at least).
class TailSink : public ByteSink {
 public:
  explicit TailSink(size_t keep) : keep_(keep) {}
  Status Write(const char* data, size_t size) override {
    total_ += size;
    tail_.append(data, size);
    if (tail_.size() > 2 * keep_) tail_.erase(0, tail_.size() - keep_);
    return Status::Ok();
  }
  ziptest::ArchiveTail tail() const { return {tail_, total_ - tail_.size()}; }
  uint64_t total() const { return total_; }

 private:
  size_t keep_;
  uint64_t total_ = 0;
  std::string tail_;
};

// CRC-32 of `size` zero bytes by zlib, independent of libdeflate under test.
uint32_t ZlibCrcOfZeros(uint64_t size) {
  const std::string chunk(kChunk, '\0');
  const uLong chunk_crc =
      crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size()));
  uLong crc = 0;
  for (uint64_t done = 0; done < size; done += kChunk)
    crc = crc32_combine(crc, chunk_crc, static_cast<z_off_t>(kChunk));
  return static_cast<uint32_t>(crc);
}

TEST(ZipWriterLargeTest, EntryAndOffsetsPast4GiBUseExactlyTheNeededZip64Fields) {
  TailSink sink(kMiB);
  ZipWriter w(sink);
  const std::string zeros(kChunk, '\0');
  ASSERT_TRUE(w.Add(Prepare("before.txt", "small entry before", 6)).ok());
  ASSERT_TRUE(w.BeginEntry("big.bin", Method::kStore, 0, std::nullopt).ok());
  for (uint64_t done = 0; done < kBigSize; done += kChunk) ASSERT_TRUE(w.Write(zeros).ok());
  ASSERT_TRUE(w.EndEntry().ok());
  const uint64_t after_offset = w.bytes_written();
  ASSERT_TRUE(w.Add(Prepare("after.txt", "small entry after", 6)).ok());
  ASSERT_TRUE(w.Finish().ok());
  ASSERT_EQ(w.bytes_written(), sink.total());

  const ziptest::ArchiveTail tail = sink.tail();
  const ziptest::ParsedEnd end = ziptest::ParseEnd(tail);
  EXPECT_TRUE(end.has_zip64_records);  // the directory starts past 4 GiB
  EXPECT_EQ(end.classic_entries, 3);
  EXPECT_EQ(end.classic_directory_offset, kMoved);
  EXPECT_EQ(end.directory_size, end.classic_directory_size);
  const auto central = ziptest::ParseCentralDirectory(tail, end);
  ASSERT_EQ(central.size(), 3u);

  const auto& before = central[0];  // nothing overflows
  EXPECT_EQ(before.version_needed, 20);
  EXPECT_EQ(before.local_header_offset, 0u);
  EXPECT_EQ(before.extras.count(kZip64Id), 0u);

  const auto& big = central[1];  // both sizes overflow, its offset does not
  EXPECT_EQ(big.name, "big.bin");
  EXPECT_EQ(big.version_needed, 45);
  EXPECT_EQ(big.flags, kFlagDataDescriptor);
  EXPECT_EQ(big.crc32, ZlibCrcOfZeros(kBigSize));
  EXPECT_EQ(big.compressed, kMoved);
  EXPECT_EQ(big.uncompressed, kMoved);
  EXPECT_LT(big.local_header_offset, 100u);
  ASSERT_EQ(big.extras.count(kZip64Id), 1u);
  ASSERT_EQ(big.extras.at(kZip64Id).size(), 16u);
  EXPECT_EQ(ziptest::Le64(big.extras.at(kZip64Id), 0), kBigSize);
  EXPECT_EQ(ziptest::Le64(big.extras.at(kZip64Id), 8), kBigSize);
  const std::string_view descriptor = tail.At(after_offset - 24, 24);
  EXPECT_EQ(ziptest::Le32(descriptor, 0), 0x08074b50u);
  EXPECT_EQ(ziptest::Le32(descriptor, 4), big.crc32);
  EXPECT_EQ(ziptest::Le64(descriptor, 8), kBigSize);
  EXPECT_EQ(ziptest::Le64(descriptor, 16), kBigSize);

  const auto& after = central[2];  // only its offset overflows
  EXPECT_EQ(after.name, "after.txt");
  EXPECT_EQ(after.version_needed, 45);
  EXPECT_EQ(after.uncompressed, 17u);
  EXPECT_EQ(after.local_header_offset, kMoved);
  ASSERT_EQ(after.extras.count(kZip64Id), 1u);
  ASSERT_EQ(after.extras.at(kZip64Id).size(), 8u);
  EXPECT_EQ(ziptest::Le64(after.extras.at(kZip64Id), 0), after_offset);
  const auto local = ziptest::ParseLocalHeader(tail, after_offset);
  EXPECT_EQ(local.name, "after.txt");
  EXPECT_EQ(local.version_needed, 45);
  EXPECT_EQ(local.flags, 0);
  EXPECT_EQ(local.extras.count(kZip64Id), 0u);  // the local header holds no offset
}

TEST(ZipWriterLargeTest, EntryOutgrowingItsSizeHintPast4GiBKillsTheWriter) {
  TailSink sink(kMiB);
  ZipWriter w(sink);
  const std::string zeros(kChunk, '\0');
  ASSERT_TRUE(w.BeginEntry("liar.bin", Method::kStore, 0, 1000).ok());
  const uint64_t header = w.bytes_written();
  Status status;
  uint64_t chunks = 0;
  while ((status = w.Write(zeros)).ok()) ++chunks;
  EXPECT_EQ(status.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(chunks, 1023u);  // the 1024th chunk would reach 0xFFFFFFFF bytes
  EXPECT_EQ(w.bytes_written(), header + chunks * kChunk);
  EXPECT_EQ(sink.total(), w.bytes_written());
  for (const Status& later : {w.Write("x"), w.EndEntry(), w.Finish()}) {
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.error().message(), status.error().message());
  }
  EXPECT_EQ(sink.total(), w.bytes_written());
}

}  // namespace
}  // namespace pacsport::zip
