#include "zip/zip_writer.h"

#include <gtest/gtest.h>

#include <random>

#include "core/byte_sink.h"
#include "zip/archive_layout.h"
#include "zip/archive_readers.h"
#include "zip/test_payloads.h"

namespace pacsport::zip {
namespace {

using ziptest::ArchiveTail;
using ziptest::ExpectAllReadersAccept;
using ziptest::ExpectedEntry;

constexpr uint16_t kZip64Id = 0x0001;

SystemTime FixedTime() {
  using namespace std::chrono;
  return sys_days{year(2024) / 2 / 29} + hours(13) + minutes(45) + seconds(58);
}

using ziptest::RandomBytes;
using ziptest::Text;

// Writes `data` as a streamed entry in chunks of varying odd sizes.
Status Stream(ZipWriter& w, std::string name, Method method, std::string_view data,
              std::optional<uint64_t> hint) {
  if (Status s = w.BeginEntry(std::move(name), method, 6, hint); !s.ok()) return s;
  static const size_t kChunks[] = {1, 7919, 65537, 3, 100003, 4099};
  for (size_t i = 0, pos = 0; pos < data.size(); ++i) {
    const size_t n = std::min(kChunks[i % 6], data.size() - pos);
    if (Status s = w.Write(data.substr(pos, n)); !s.ok()) return s;
    pos += n;
  }
  return w.EndEntry();
}

std::vector<ziptest::ParsedHeader> CentralDirectory(const std::string& archive) {
  const ArchiveTail tail{archive, 0};
  return ziptest::ParseCentralDirectory(tail, ziptest::ParseEnd(tail));
}

TEST(ZipWriterTest, DeflatesSmallTextEntries) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  std::vector<ExpectedEntry> expected;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "texts/" + std::to_string(i) + ".txt";
    const std::string content = Text(2000 + 1000 * i, i);
    const PreparedEntry e = Prepare(name, content, 9);
    ASSERT_EQ(e.method, Method::kDeflate);
    ASSERT_TRUE(w.Add(e).ok());
    expected.push_back({name, content, Method::kDeflate});
  }
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.entry_count(), 5u);
  EXPECT_EQ(w.bytes_written(), sink.bytes().size());
  ExpectAllReadersAccept(sink.bytes(), expected);
  for (const auto& h : CentralDirectory(sink.bytes())) {
    EXPECT_EQ(h.version_needed, 20);
    EXPECT_EQ(h.flags, 0);  // exact sizes up front, plain ASCII
    EXPECT_EQ(h.extras.count(kZip64Id), 0u);
  }
}

TEST(ZipWriterTest, StoresIncompressibleData) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::string noise = RandomBytes(300000, 7);
  const PreparedEntry e = Prepare("noise.bin", noise, 9);
  ASSERT_EQ(e.method, Method::kStore);
  ASSERT_TRUE(w.Add(e).ok());
  ASSERT_TRUE(w.Finish().ok());
  ExpectAllReadersAccept(sink.bytes(), {{"noise.bin", noise, Method::kStore}});
}

TEST(ZipWriterTest, WritesEmptyEntries) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  ASSERT_TRUE(w.Add(Prepare("empty.txt", "", 9)).ok());
  ASSERT_TRUE(w.BeginEntry("empty_streamed.txt", Method::kDeflate, 6, 0).ok());
  ASSERT_TRUE(w.EndEntry().ok());
  ASSERT_TRUE(w.BeginEntry("empty_stored.txt", Method::kStore, 0, std::nullopt).ok());
  ASSERT_TRUE(w.EndEntry().ok());
  ASSERT_TRUE(w.Finish().ok());
  ExpectAllReadersAccept(sink.bytes(), {{"empty.txt", "", Method::kStore},
                                        {"empty_streamed.txt", "", Method::kDeflate},
                                        {"empty_stored.txt", "", Method::kStore}});
}

TEST(ZipWriterTest, ArchiveWithoutEntriesIsValid) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(sink.bytes().size(), 22u);
  const ziptest::TempArchive archive(sink.bytes());
  ziptest::ExpectPythonReads(archive, {});
  ziptest::ExpectSevenZipTests(archive);
}

TEST(ZipWriterTest, NonAsciiNamesReadBackIdentically) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::vector<ExpectedEntry> expected = {
      {"Müller_患者/1.dcm", Text(5000, 1), Method::kDeflate},
      {"plain/ascii.txt", Text(5000, 2), Method::kDeflate},
      {"Müller_患者/previews/frame_0.png", "not really a png", Method::kStore},
  };
  ASSERT_TRUE(w.Add(Prepare(expected[0].name, expected[0].content, 6)).ok());
  ASSERT_TRUE(Stream(w, expected[1].name, Method::kDeflate, expected[1].content, 5000).ok());
  ASSERT_TRUE(Stream(w, expected[2].name, Method::kStore, expected[2].content, std::nullopt).ok());
  ASSERT_TRUE(w.Finish().ok());
  ExpectAllReadersAccept(sink.bytes(), expected);

  const auto central = CentralDirectory(sink.bytes());
  ASSERT_EQ(central.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const bool utf8 = i != 1;
    const auto local = ziptest::ParseLocalHeader({sink.bytes(), 0}, central[i].local_header_offset);
    EXPECT_EQ(local.name, expected[i].name);
    EXPECT_EQ((central[i].flags & kFlagUtf8Name) != 0, utf8) << i;
    EXPECT_EQ(local.flags, central[i].flags) << i;
  }
}

TEST(ZipWriterTest, StreamsALargeDeflatedEntryInOddChunks) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::string data = Text(6 * 1024 * 1024 + 17, 5);
  ASSERT_TRUE(Stream(w, "big/stream.txt", Method::kDeflate, data, data.size()).ok());
  ASSERT_TRUE(w.Finish().ok());
  ExpectAllReadersAccept(sink.bytes(), {{"big/stream.txt", data, Method::kDeflate}});

  const auto central = CentralDirectory(sink.bytes());
  ASSERT_EQ(central.size(), 1u);
  const auto& h = central[0];
  EXPECT_EQ(h.flags, kFlagDataDescriptor);
  EXPECT_EQ(h.version_needed, 20);  // the exact hint keeps it classic
  EXPECT_EQ(h.uncompressed, data.size());
  EXPECT_LT(h.compressed, data.size() / 2);
  EXPECT_EQ(h.extras.count(kZip64Id), 0u);
  const auto local = ziptest::ParseLocalHeader({sink.bytes(), 0}, 0);
  EXPECT_EQ(local.extras.count(kZip64Id), 0u);
  EXPECT_EQ(local.compressed, 0u);
  // A 16-byte data descriptor sits right before the central directory.
  const size_t descriptor = sink.bytes().size() - 22 - h.record_size - 16;
  EXPECT_EQ(ziptest::Le32(sink.bytes(), descriptor), 0x08074b50u);
  EXPECT_EQ(ziptest::Le32(sink.bytes(), descriptor + 4), h.crc32);
  EXPECT_EQ(ziptest::Le32(sink.bytes(), descriptor + 8), h.compressed);
  EXPECT_EQ(ziptest::Le32(sink.bytes(), descriptor + 12), h.uncompressed);
}

TEST(ZipWriterTest, MixesPreparedAndStreamedEntries) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::vector<ExpectedEntry> expected = {
      {"study_data.json", Text(40000, 1), Method::kDeflate},
      {"1.dcm", RandomBytes(200000, 2), Method::kStore},  // streamed, no hint
      {"2.dcm", Text(700000, 3), Method::kDeflate},       // streamed, hint
      {"previews/frame_0.png", RandomBytes(5000, 4), Method::kStore},
      {"3.dcm", Text(300000, 5), Method::kDeflate},  // streamed, no hint
      {"checksums.sha256", Text(300, 6), Method::kDeflate},
  };
  ASSERT_TRUE(w.Add(Prepare(expected[0].name, expected[0].content, 9)).ok());
  ASSERT_TRUE(Stream(w, expected[1].name, Method::kStore, expected[1].content, std::nullopt).ok());
  ASSERT_TRUE(
      Stream(w, expected[2].name, Method::kDeflate, expected[2].content, expected[2].content.size())
          .ok());
  ASSERT_TRUE(w.Add(Prepare(expected[3].name, expected[3].content, 9)).ok());
  ASSERT_TRUE(
      Stream(w, expected[4].name, Method::kDeflate, expected[4].content, std::nullopt).ok());
  ASSERT_TRUE(w.Add(Prepare(expected[5].name, expected[5].content, 9)).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.entry_count(), 6u);
  ExpectAllReadersAccept(sink.bytes(), expected);

  // Streamed entries without a hint announce ZIP64 locally (version 45, 8-byte
  // descriptor) but their central headers carry no ZIP64 extra: nothing overflowed.
  const auto central = CentralDirectory(sink.bytes());
  ASSERT_EQ(central.size(), 6u);
  for (size_t i : {1, 4}) {
    EXPECT_EQ(central[i].version_needed, 45) << i;
    EXPECT_EQ(central[i].extras.count(kZip64Id), 0u) << i;
    const auto local = ziptest::ParseLocalHeader({sink.bytes(), 0}, central[i].local_header_offset);
    EXPECT_EQ(local.version_needed, 45) << i;
    ASSERT_EQ(local.extras.count(kZip64Id), 1u) << i;
    const uint64_t descriptor = central[i + 1].local_header_offset - 24;
    EXPECT_EQ(ziptest::Le32(sink.bytes(), descriptor), 0x08074b50u);
    EXPECT_EQ(ziptest::Le64(sink.bytes(), descriptor + 8), central[i].compressed);
    EXPECT_EQ(ziptest::Le64(sink.bytes(), descriptor + 16), central[i].uncompressed);
  }
  for (size_t i : {0, 2, 3, 5}) EXPECT_EQ(central[i].version_needed, 20) << i;
}

// The readers' checks can fail: one flipped payload byte is caught by each of them.
TEST(ZipWriterTest, ReadersDetectACorruptedPayload) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::string content = RandomBytes(1000, 11);
  ASSERT_TRUE(w.Add(Prepare("x.bin", content, 0)).ok());
  ASSERT_TRUE(w.Finish().ok());
  std::string corrupted = sink.bytes();
  const size_t payload = corrupted.find(content);
  ASSERT_NE(payload, std::string::npos);
  corrupted[payload + 500] ^= 0x01;
  const ziptest::TempArchive file(corrupted);
  const std::string path = file.path();
  EXPECT_NE(ziptest::RunCommand("/usr/bin/python3 -c 'import sys, zipfile; "
                                "sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' " +
                                path)
                .exit_code,
            0);
  EXPECT_NE(ziptest::RunCommand("unzip -tq " + path).exit_code, 0);
  EXPECT_NE(ziptest::RunCommand("bsdtar -xOf " + path + " > /dev/null").exit_code, 0);
  EXPECT_NE(ziptest::RunCommand("cat " + path + " | bsdtar -xOf - > /dev/null").exit_code, 0);
  EXPECT_NE(ziptest::RunCommand("7z t " + path).exit_code, 0);
}

TEST(ZipWriterTest, RecordsTheModificationTime) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  ASSERT_TRUE(w.Add(Prepare("a.txt", "hello", 6)).ok());
  ASSERT_TRUE(w.Finish().ok());
  const ziptest::TempArchive archive(sink.bytes());
  const auto r = ziptest::RunCommand(
      "/usr/bin/python3 -c 'import sys, zipfile; "
      "print(zipfile.ZipFile(sys.argv[1]).infolist()[0].date_time)' " +
      archive.path());
  EXPECT_EQ(r.output, "(2024, 2, 29, 13, 45, 58)\n");
  const auto central = CentralDirectory(sink.bytes());
  const auto local = ziptest::ParseLocalHeader({sink.bytes(), 0}, 0);
  for (const auto* h : {&central.at(0), &local}) {
    ASSERT_EQ(h->extras.count(0x5455), 1u);
    EXPECT_EQ(ziptest::Le32(h->extras.at(0x5455), 1), 1709214358u);
  }
}

std::string ManyEntriesArchive(size_t count, std::vector<ExpectedEntry>& expected) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  for (size_t i = 0; i < count; ++i) {
    std::string name = "e/" + std::to_string(i) + ".txt";
    std::string content = "entry " + std::to_string(i) + "\n";
    EXPECT_TRUE(w.Add(Prepare(name, content, 0)).ok());
    expected.push_back({std::move(name), std::move(content), Method::kStore});
  }
  EXPECT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.entry_count(), count);
  return sink.bytes();
}

TEST(ZipWriterTest, MoreThan65535EntriesUseZip64EndRecords) {
  std::vector<ExpectedEntry> expected;
  const std::string archive = ManyEntriesArchive(65536, expected);
  const auto end = ziptest::ParseEnd({archive, 0});
  EXPECT_TRUE(end.has_zip64_records);
  EXPECT_EQ(end.classic_entries, 0xFFFF);
  EXPECT_EQ(end.entries, 65536u);
  EXPECT_EQ(CentralDirectory(archive).size(), 65536u);
  // Every reader, but bsdtar only lists: extracting 65,536 entries twice is slow and
  // the other tests cover its extraction.
  const ziptest::TempArchive file(archive);
  ziptest::ExpectPythonReads(file, expected);
  ziptest::ExpectUnzipTests(file);
  ziptest::ExpectBsdtarLists(file, expected);
  ziptest::ExpectSevenZipTests(file);
}

TEST(ZipWriterTest, Exactly65535EntriesStayClassic) {
  std::vector<ExpectedEntry> expected;
  const std::string archive = ManyEntriesArchive(65535, expected);
  const auto end = ziptest::ParseEnd({archive, 0});
  EXPECT_FALSE(end.has_zip64_records);
  EXPECT_EQ(end.classic_entries, 65535);
  EXPECT_EQ(archive.find(std::string("PK\x06\x06", 4)), std::string::npos);
  EXPECT_EQ(archive.find(std::string("PK\x06\x07", 4)), std::string::npos);
  const ziptest::TempArchive file(archive);
  ziptest::ExpectUnzipTests(file);
  ziptest::ExpectSevenZipTests(file);
}

TEST(ZipWriterTest, RefusesDuplicateNamesAndStaysUsable) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  ASSERT_TRUE(w.Add(Prepare("a.txt", "first", 6)).ok());
  const uint64_t size = w.bytes_written();
  const Status again = w.Add(Prepare("a.txt", "second", 6));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kInternal);
  const Status streamed = w.BeginEntry("a.txt", Method::kDeflate, 6, 10);
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(streamed.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.bytes_written(), size);
  ASSERT_TRUE(w.BeginEntry("b.txt", Method::kDeflate, 6, 10).ok());
  ASSERT_TRUE(w.Write("streamed b").ok());
  ASSERT_TRUE(w.EndEntry().ok());
  EXPECT_EQ(w.Add(Prepare("b.txt", "b again", 6)).error().code(), ErrorCode::kInternal);
  ASSERT_TRUE(w.Add(Prepare("c.txt", "third", 6)).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.entry_count(), 3u);
  ExpectAllReadersAccept(sink.bytes(), {{"a.txt", "first", Method::kStore},
                                        {"b.txt", "streamed b", Method::kDeflate},
                                        {"c.txt", "third", Method::kStore}});
}

// Issue 13: a central directory spilled to a temporary file gives the same archive
// byte for byte, and duplicates are still refused once it is on disk.
TEST(ZipWriterTest, SpilledDirectoryGivesTheSameArchive) {
  auto write = [](std::size_t directory_memory_bytes, bool* spilled) {
    StringSink sink;
    ZipWriter w(sink, FixedTime(), ZipWriterOptions{directory_memory_bytes});
    for (int i = 0; i < 3000; ++i) {
      EXPECT_TRUE(w.Add(Prepare("d/" + std::to_string(i) + ".txt", Text(100 + i, 1), 6)).ok());
    }
    EXPECT_TRUE(Stream(w, "streamed.bin", Method::kDeflate, Text(300000, 2), std::nullopt).ok());
    *spilled = w.directory_spilled();
    EXPECT_TRUE(w.Finish().ok());
    return sink.bytes();
  };
  bool in_memory_spilled = true;
  bool small_spilled = false;
  const std::string in_memory = write(std::size_t{1} << 30, &in_memory_spilled);
  const std::string spilled = write(1000, &small_spilled);
  EXPECT_FALSE(in_memory_spilled);
  EXPECT_TRUE(small_spilled);
  EXPECT_EQ(spilled, in_memory);
  EXPECT_EQ(CentralDirectory(spilled).size(), 3001u);
}

TEST(ZipWriterTest, RefusesDuplicatesOfSpilledNames) {
  StringSink sink;
  ZipWriter w(sink, FixedTime(), ZipWriterOptions{0});
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(w.Add(Prepare("n" + std::to_string(i), "x", 0)).ok());
  }
  EXPECT_TRUE(w.directory_spilled());
  EXPECT_EQ(w.Add(Prepare("n0", "again", 0)).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.Add(Prepare("n499", "again", 0)).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.BeginEntry("n250", Method::kStore, 0, 1).error().code(), ErrorCode::kInternal);
  ASSERT_TRUE(w.Add(Prepare("n500", "y", 0)).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(CentralDirectory(sink.bytes()).size(), 501u);
}

TEST(ZipWriterTest, RefusesMaliciousNamesAndStaysUsable) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  const std::string bad[] = {"",
                             "/etc/passwd",
                             "../evil.sh",
                             "a/../../evil.sh",
                             "a\\..\\evil",
                             "C:/evil",
                             std::string("a\0b.txt", 7),
                             "dir/",
                             "\xC0\xAF"
                             "evil"};
  for (const std::string& name : bad) {
    const Status added = w.Add(Prepare(name, "x", 6));
    ASSERT_FALSE(added.ok()) << ::testing::PrintToString(name);
    EXPECT_EQ(added.error().code(), ErrorCode::kInvalidInput);
    const Status begun = w.BeginEntry(name, Method::kDeflate, 6, 1);
    ASSERT_FALSE(begun.ok());
    EXPECT_EQ(begun.error().code(), ErrorCode::kInvalidInput);
  }
  EXPECT_EQ(w.bytes_written(), 0u);
  EXPECT_EQ(w.entry_count(), 0u);
  ASSERT_TRUE(w.Add(Prepare("ok.txt", "fine", 6)).ok());
  ASSERT_TRUE(w.Finish().ok());
  ExpectAllReadersAccept(sink.bytes(), {{"ok.txt", "fine", Method::kStore}});
}

TEST(ZipWriterTest, RefusesCallsOutOfOrder) {
  StringSink sink;
  ZipWriter w(sink, FixedTime());
  EXPECT_EQ(w.Write("x").error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.EndEntry().error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.BeginEntry("x", Method::kDeflate, 10, 1).error().code(), ErrorCode::kInternal);
  PreparedEntry inconsistent = Prepare("x", "abc", 0);
  inconsistent.uncompressed_size = 4;
  EXPECT_EQ(w.Add(inconsistent).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.bytes_written(), 0u);

  ASSERT_TRUE(w.BeginEntry("open.txt", Method::kDeflate, 6, std::nullopt).ok());
  EXPECT_EQ(w.Add(Prepare("other.txt", "x", 6)).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.BeginEntry("other.txt", Method::kStore, 0, 1).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.Finish().error().code(), ErrorCode::kInternal);
  ASSERT_TRUE(w.Write("content").ok());
  ASSERT_TRUE(w.EndEntry().ok());
  ASSERT_TRUE(w.Finish().ok());
  const uint64_t size = w.bytes_written();
  EXPECT_EQ(w.Finish().error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.Add(Prepare("late.txt", "x", 6)).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.BeginEntry("late.txt", Method::kStore, 0, 1).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(w.bytes_written(), size);
  ExpectAllReadersAccept(sink.bytes(), {{"open.txt", "content", Method::kDeflate}});
}

// Accepts writes up to `limit` bytes in total, then fails like a vanished client.
class FailingSink : public ByteSink {
 public:
  explicit FailingSink(uint64_t limit) : limit_(limit) {}
  Status Write(const char* data, size_t size) override {
    if (failed_) ++writes_after_failure_;
    if (accepted_.size() + size > limit_) {
      failed_ = true;
      return Unavailable("client went away");
    }
    accepted_.append(data, size);
    return Status::Ok();
  }
  const std::string& accepted() const { return accepted_; }
  int writes_after_failure() const { return writes_after_failure_; }

 private:
  uint64_t limit_;
  std::string accepted_;
  bool failed_ = false;
  int writes_after_failure_ = 0;
};

// One archive's calls, in order; returns each call's status.
std::vector<Status> WriteScenario(ZipWriter& w) {
  const std::string streamed = Text(300000, 9);
  std::vector<Status> out;
  out.push_back(w.Add(Prepare("a.txt", Text(5000, 1), 6)));
  out.push_back(w.BeginEntry("b.txt", Method::kDeflate, 6, std::nullopt));
  for (size_t pos = 0; pos < streamed.size(); pos += 70001)
    out.push_back(w.Write(std::string_view(streamed).substr(pos, 70001)));
  out.push_back(w.EndEntry());
  out.push_back(w.Add(Prepare("c.bin", RandomBytes(20000, 3), 6)));
  out.push_back(w.Finish());
  return out;
}

TEST(ZipWriterTest, SinkFailureIsFinalAndPropagates) {
  StringSink full;
  ZipWriter reference(full, FixedTime());
  for (const Status& s : WriteScenario(reference)) ASSERT_TRUE(s.ok());
  const uint64_t total = full.bytes().size();

  const uint64_t limits[] = {
      0, 1, 29, 40, total / 4, total / 2, 3 * total / 4, total - 300, total - 30, total - 1};
  for (uint64_t limit : limits) {
    FailingSink sink(limit);
    ZipWriter w(sink, FixedTime());
    const std::vector<Status> statuses = WriteScenario(w);
    size_t first = 0;
    while (first < statuses.size() && statuses[first].ok()) ++first;
    ASSERT_LT(first, statuses.size()) << "limit " << limit;
    for (size_t i = first; i < statuses.size(); ++i) {
      ASSERT_FALSE(statuses[i].ok()) << "limit " << limit << " call " << i;
      EXPECT_EQ(statuses[i].error().code(), ErrorCode::kUnavailable);
      EXPECT_EQ(statuses[i].error().message(), "client went away");
    }
    EXPECT_EQ(sink.writes_after_failure(), 0) << "limit " << limit;
    EXPECT_EQ(w.bytes_written(), sink.accepted().size());
    EXPECT_LE(w.bytes_written(), limit);
    EXPECT_EQ(sink.accepted(), full.bytes().substr(0, sink.accepted().size()));
  }

  FailingSink roomy(total);
  ZipWriter w(roomy, FixedTime());
  for (const Status& s : WriteScenario(w)) EXPECT_TRUE(s.ok());
  EXPECT_EQ(roomy.accepted(), full.bytes());
}

}  // namespace
}  // namespace pacsport::zip
