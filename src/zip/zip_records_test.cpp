#include "zip/zip_records.h"

#include <gtest/gtest.h>

#include "zip/archive_layout.h"

namespace pacsport::zip {
namespace {

using ziptest::ArchiveTail;
using ziptest::Le16;
using ziptest::Le32;
using ziptest::Le64;

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint32_t kMoved = 0xFFFFFFFF;
constexpr uint16_t kZip64Id = 0x0001;
constexpr uint16_t kTimestampId = 0x5455;

SystemTime At(std::chrono::sys_days day, int h, int m, int s) {
  return day + std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(s);
}

EntryFields Fields(std::string_view name) {
  EntryFields f;
  f.name = name;
  f.method = kMethodDeflate;
  f.modified = ToDosDateTime(At(std::chrono::year(2024) / 2 / 29, 13, 45, 59));
  f.unix_mtime = 1709214359;
  return f;
}

// Parses one central header by framing it with end records.
ziptest::ParsedHeader ParseCentral(const std::string& header) {
  const std::string archive = header + EndRecords(1, 0, header.size());
  const ArchiveTail tail{archive, 0};
  const auto headers = ziptest::ParseCentralDirectory(tail, ziptest::ParseEnd(tail));
  EXPECT_EQ(headers.size(), 1u);
  return headers.at(0);
}

TEST(ToDosDateTimeTest, EncodesUtcWithTwoSecondResolution) {
  const DosDateTime dos = ToDosDateTime(At(std::chrono::year(2024) / 2 / 29, 13, 45, 59));
  EXPECT_EQ(dos.time, (13 << 11) | (45 << 5) | 29);
  EXPECT_EQ(dos.date, (44 << 9) | (2 << 5) | 29);
}

TEST(ToDosDateTimeTest, ClampsToTheRepresentableRange) {
  const DosDateTime early = ToDosDateTime(At(std::chrono::year(1970) / 1 / 1, 0, 0, 0));
  EXPECT_EQ(early.time, 0);
  EXPECT_EQ(early.date, (0 << 9) | (1 << 5) | 1);
  const DosDateTime late = ToDosDateTime(At(std::chrono::year(2200) / 6 / 1, 0, 0, 0));
  EXPECT_EQ(late.time, (23 << 11) | (59 << 5) | 29);
  EXPECT_EQ(late.date, (127 << 9) | (12 << 5) | 31);
}

TEST(LocalHeaderTest, ClassicSizesNeedNoZip64) {
  const std::string bytes = LocalHeader(Fields("a.txt"), {0x12345678, 0xFFFFFFFE, 0xFFFFFFFE});
  const auto h = ziptest::ParseLocalHeader({bytes, 0}, 0);
  EXPECT_EQ(h.record_size, bytes.size());
  EXPECT_EQ(h.name, "a.txt");
  EXPECT_EQ(h.method, kMethodDeflate);
  EXPECT_EQ(h.crc32, 0x12345678u);
  EXPECT_EQ(h.compressed, 0xFFFFFFFEu);
  EXPECT_EQ(h.uncompressed, 0xFFFFFFFEu);
  EXPECT_EQ(h.extras.count(kZip64Id), 0u);
  ASSERT_EQ(h.extras.count(kTimestampId), 1u);
  const std::string& ts = h.extras.at(kTimestampId);
  ASSERT_EQ(ts.size(), 5u);
  EXPECT_EQ(ts[0], 1);  // mtime present
  EXPECT_EQ(Le32(ts, 1), 1709214359u);
}

TEST(LocalHeaderTest, Zip64ExtraHoldsBothSizesEvenIfOneOverflows) {
  for (const EntrySizes sizes :
       {EntrySizes{1, 100, 0xFFFFFFFF}, EntrySizes{1, 5 * kGiB, 6 * kGiB}}) {
    const std::string bytes = LocalHeader(Fields("big"), sizes);
    const auto h = ziptest::ParseLocalHeader({bytes, 0}, 0);
    EXPECT_EQ(h.compressed, kMoved);
    EXPECT_EQ(h.uncompressed, kMoved);
    ASSERT_EQ(h.extras.count(kZip64Id), 1u);
    const std::string& z = h.extras.at(kZip64Id);
    ASSERT_EQ(z.size(), 16u);
    EXPECT_EQ(Le64(z, 0), sizes.uncompressed);
    EXPECT_EQ(Le64(z, 8), sizes.compressed);
  }
}

TEST(StreamedLocalHeaderTest, AnnouncesZip64OnlyWhenAsked) {
  EntryFields f = Fields("s");
  f.flags = kFlagDataDescriptor;
  const auto classic = ziptest::ParseLocalHeader({StreamedLocalHeader(f, false), 0}, 0);
  EXPECT_EQ(classic.flags, kFlagDataDescriptor);
  EXPECT_EQ(classic.crc32, 0u);
  EXPECT_EQ(classic.compressed, 0u);
  EXPECT_EQ(classic.uncompressed, 0u);
  EXPECT_EQ(classic.extras.count(kZip64Id), 0u);

  const auto zip64 = ziptest::ParseLocalHeader({StreamedLocalHeader(f, true), 0}, 0);
  EXPECT_EQ(zip64.compressed, kMoved);
  EXPECT_EQ(zip64.uncompressed, kMoved);
  ASSERT_EQ(zip64.extras.count(kZip64Id), 1u);
  EXPECT_EQ(zip64.extras.at(kZip64Id), std::string(16, '\0'));
}

TEST(DataDescriptorTest, HasFourOrEightByteSizes) {
  const std::string classic = DataDescriptor({0xCAFEBABE, 10, 20}, false);
  ASSERT_EQ(classic.size(), 16u);
  EXPECT_EQ(Le32(classic, 0), 0x08074b50u);
  EXPECT_EQ(Le32(classic, 4), 0xCAFEBABEu);
  EXPECT_EQ(Le32(classic, 8), 10u);
  EXPECT_EQ(Le32(classic, 12), 20u);
  const std::string zip64 = DataDescriptor({0xCAFEBABE, 5 * kGiB, 6 * kGiB}, true);
  ASSERT_EQ(zip64.size(), 24u);
  EXPECT_EQ(Le64(zip64, 8), 5 * kGiB);
  EXPECT_EQ(Le64(zip64, 16), 6 * kGiB);
}

TEST(CentralHeaderTest, ClassicEntryHasNoZip64Extra) {
  EntryFields f = Fields("Müller/1.dcm");
  f.flags = kFlagUtf8Name;
  const auto h = ParseCentral(CentralHeader(f, {7, 0xFFFFFFFE, 0xFFFFFFFE}, 0xFFFFFFFE));
  EXPECT_EQ(h.name, "Müller/1.dcm");
  EXPECT_EQ(h.flags, kFlagUtf8Name);
  EXPECT_EQ(h.version_needed, kVersionDefault);
  EXPECT_EQ(h.version_made_by >> 8, 3);  // Unix, so the mode below counts
  EXPECT_EQ(h.external_attributes >> 16, 0100644u);
  EXPECT_EQ(h.compressed, 0xFFFFFFFEu);
  EXPECT_EQ(h.local_header_offset, 0xFFFFFFFEu);
  EXPECT_EQ(h.extras.count(kZip64Id), 0u);
  EXPECT_EQ(h.extras.count(kTimestampId), 1u);
}

TEST(CentralHeaderTest, Zip64ExtraHoldsExactlyTheOverflowedFields) {
  struct Case {
    EntrySizes sizes;
    uint64_t offset;
    std::vector<uint64_t> extra;  // expected, in APPNOTE order
  };
  const Case cases[] = {
      {{1, 100, 200}, 0xFFFFFFFF, {0xFFFFFFFF}},
      {{1, 100, 200}, 7 * kGiB, {7 * kGiB}},
      {{1, 3 * kGiB, 5 * kGiB}, 10, {5 * kGiB}},
      {{1, 5 * kGiB, 5 * kGiB}, 10, {5 * kGiB, 5 * kGiB}},
      {{1, 4 * kGiB, 100}, 8 * kGiB, {4 * kGiB, 8 * kGiB}},
      {{1, 5 * kGiB, 6 * kGiB}, 9 * kGiB, {6 * kGiB, 5 * kGiB, 9 * kGiB}},
  };
  for (const Case& c : cases) {
    const auto h = ParseCentral(CentralHeader(Fields("x"), c.sizes, c.offset));
    EXPECT_EQ(h.uncompressed, c.sizes.uncompressed >= 0xFFFFFFFF ? kMoved : c.sizes.uncompressed);
    EXPECT_EQ(h.compressed, c.sizes.compressed >= 0xFFFFFFFF ? kMoved : c.sizes.compressed);
    EXPECT_EQ(h.local_header_offset, c.offset >= 0xFFFFFFFF ? kMoved : c.offset);
    ASSERT_EQ(h.extras.count(kZip64Id), 1u);
    const std::string& z = h.extras.at(kZip64Id);
    ASSERT_EQ(z.size(), 8 * c.extra.size());
    for (size_t i = 0; i < c.extra.size(); ++i) EXPECT_EQ(Le64(z, 8 * i), c.extra[i]) << i;
  }
}

TEST(EndRecordsTest, ClassicUpTo65535Entries) {
  const std::string bytes = EndRecords(65535, 1000, 500);
  EXPECT_EQ(bytes.size(), 22u);
  const std::string archive = std::string(1500, '\0') + bytes;
  const auto end = ziptest::ParseEnd({archive, 0});
  EXPECT_FALSE(end.has_zip64_records);
  EXPECT_EQ(end.classic_entries, 65535);
  EXPECT_EQ(end.directory_offset, 1000u);
  EXPECT_EQ(end.directory_size, 500u);
}

TEST(EndRecordsTest, Zip64AboveThe16BitCount) {
  const std::string bytes = EndRecords(65536, 1000, 500);
  EXPECT_EQ(bytes.size(), 56u + 20u + 22u);
  const std::string archive = std::string(1500, '\0') + bytes;
  const auto end = ziptest::ParseEnd({archive, 0});
  EXPECT_TRUE(end.has_zip64_records);
  EXPECT_EQ(end.classic_entries, 0xFFFF);
  EXPECT_EQ(end.classic_directory_offset, 1000u);  // fits: not moved
  EXPECT_EQ(end.entries, 65536u);
  EXPECT_EQ(end.directory_offset, 1000u);
  EXPECT_EQ(end.directory_size, 500u);
}

TEST(EndRecordsTest, Zip64WhenTheDirectoryOffsetOverflows) {
  // A tail view: the directory (10 bytes of filler here) sits at 0xFFFFFFFF.
  const uint64_t offset = 0xFFFFFFFF;
  const std::string bytes = std::string(10, '\0') + EndRecords(3, offset, 10);
  const auto end = ziptest::ParseEnd({bytes, offset});
  EXPECT_TRUE(end.has_zip64_records);
  EXPECT_EQ(end.classic_entries, 3);
  EXPECT_EQ(end.classic_directory_offset, kMoved);
  EXPECT_EQ(end.classic_directory_size, 10u);
  EXPECT_EQ(end.directory_offset, offset);
  EXPECT_EQ(Le16(bytes, bytes.size() - 2), 0);  // no comment
}

}  // namespace
}  // namespace pacsport::zip
