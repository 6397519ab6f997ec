// Issue 4's acceptance test: an archive over 4 GiB, written by ZipWriter to a real
// file and read back whole by four independent readers run as processes: Info-ZIP's
// `unzip -t`, `7z t`, Python's zipfile and libarchive's bsdtar (from the file, and from
// a pipe as a streaming reader sees it). zip_large_test checks the ZIP64 fields byte
// by byte without touching the disk; this test checks that real readers agree.
//
// Slow (CTest label "slow"): the archive is written once for the whole suite, needs
// about 5 GiB free under the temporary directory (TMPDIR) and is removed afterwards.
// Missing space fails the suite rather than skipping it: CI must notice.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/digest.h"
#include "zip/archive_readers.h"
#include "zip/test_payloads.h"
#include "zip/zip_writer.h"

namespace pacsport::zip {
namespace {

namespace fs = std::filesystem;
using ziptest::CommandResult;
using ziptest::RunCommand;
using ziptest::ShellQuote;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = kMiB << 10;
constexpr uint64_t kBigChunks = 4196;  // 4.1 GiB in 1 MiB chunks
constexpr uint64_t kBigSize = kBigChunks * kMiB;
constexpr uint64_t kRequiredFreeSpace = 5 * kGiB;  // the 4.1 GiB archive and a margin
constexpr uint64_t kClassicLimit = 0xFFFFFFFF;  // offsets from here on need ZIP64
constexpr const char* kBigName = "big.bin";
constexpr const char* kAfterName = "after.txt";
constexpr const char* kUnicodeName = "Müller_éè/读.txt";

// Prints "<compress_type> <file_size> <header_offset> <sha256 or -> <name>" per entry,
// after testzip(), which reads every entry and checks its CRC. Entries of 1 MiB and
// more are not read again: bsdtar checks the big entry's digest.
constexpr const char* kPythonReader = R"PY(
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        print('testzip failed at', bad)
        sys.exit(3)
    out = sys.stdout.buffer
    for info in z.infolist():
        digest = hashlib.sha256(z.read(info)).hexdigest() if info.file_size < 2**20 else '-'
        line = f'{info.compress_type} {info.file_size} {info.header_offset} {digest} '
        out.write(line.encode() + info.filename.encode('utf-8') + b'\n')
)PY";

// Prints "<size> <sha256>" of its standard input.
constexpr const char* kDigestReader = R"PY(
import hashlib, sys
sha, size = hashlib.sha256(), 0
while chunk := sys.stdin.buffer.read(1 << 20):
    sha.update(chunk)
    size += len(chunk)
print(size, sha.hexdigest())
)PY";

// A fresh directory under the temporary directory, removed with its contents on
// destruction.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (fs::temp_directory_path() / "pacsport_zip_huge_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const fs::path& Path() const { return path_; }

 private:
  fs::path path_;
};

// Writes to a new file; the first failed write is final, as ByteSink requires.
class FileSink : public ByteSink {
 public:
  explicit FileSink(const fs::path& path) : file_(std::fopen(path.c_str(), "wb")) {}
  ~FileSink() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  bool IsOpen() const { return file_ != nullptr; }
  Status Write(const char* data, size_t size) override {
    if (file_ == nullptr || std::fwrite(data, 1, size, file_) != size)
      return Unavailable("cannot write the archive");
    return Status::Ok();
  }
  // Flushes and closes the file. Requires: IsOpen().
  Status Close() {
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    return closed ? Status::Ok() : Unavailable("cannot close the archive");
  }

 private:
  std::FILE* file_;
};

// One entry as the readers must find it.
struct Entry {
  std::string name;
  Method method;
  uint64_t size;
  uint64_t offset;      // of its local header
  std::string sha256;   // of its uncompressed bytes
  std::string content;  // small entries only
};

// The archive on disk and what it holds, in order.
struct HugeArchive {
  TempDirectory directory;
  fs::path path = directory.Path() / "huge.zip";
  uint64_t size = 0;
  std::vector<Entry> entries;

  const Entry& Find(std::string_view name) const {
    return *std::find_if(entries.begin(), entries.end(),
                         [&](const Entry& e) { return e.name == name; });
  }
};

// Adds a small entry compressed ahead (deflated: text shrinks).
void AddPrepared(ZipWriter& w, HugeArchive& archive, const std::string& name,
                 const std::string& content) {
  archive.entries.push_back(
      {name, Method::kDeflate, content.size(), w.bytes_written(), Sha256Hex(content), content});
  const Status s = w.Add(Prepare(name, content, 6));
  ASSERT_TRUE(s.ok()) << s.error().message();
}

// Adds a small streamed deflated entry: a data descriptor follows its data.
void AddStreamed(ZipWriter& w, HugeArchive& archive, const std::string& name,
                 const std::string& content) {
  archive.entries.push_back(
      {name, Method::kDeflate, content.size(), w.bytes_written(), Sha256Hex(content), content});
  for (const Status& s :
       {w.BeginEntry(name, Method::kDeflate, 6, content.size()), w.Write(content), w.EndEntry()}) {
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
}

// Streams the big stored entry: one pseudo-random 1 MiB block whose first 8 bytes
// are the chunk's index, so that no two chunks are alike and a misplaced chunk
// changes the CRC and the digest.
void AddBig(ZipWriter& w, HugeArchive& archive) {
  const uint64_t offset = w.bytes_written();
  Status s = w.BeginEntry(kBigName, Method::kStore, 0, kBigSize);
  ASSERT_TRUE(s.ok()) << s.error().message();
  std::string block = ziptest::RandomBytes(kMiB, 4);
  Sha256 sha;
  for (uint64_t index = 0; index < kBigChunks; ++index) {
    std::memcpy(block.data(), &index, sizeof index);
    sha.Update(block.data(), block.size());
    s = w.Write(block);
    ASSERT_TRUE(s.ok()) << "chunk " << index << ": " << s.error().message();
  }
  s = w.EndEntry();
  ASSERT_TRUE(s.ok()) << s.error().message();
  archive.entries.push_back({kBigName, Method::kStore, kBigSize, offset, sha.FinishHex(), ""});
}

void WriteArchive(HugeArchive& archive) {
  FileSink sink(archive.path);
  ASSERT_TRUE(sink.IsOpen()) << "cannot create " << archive.path;
  ZipWriter w(sink);
  ASSERT_NO_FATAL_FAILURE(AddPrepared(w, archive, "readme.txt", ziptest::Text(kMiB / 16, 1)));
  ASSERT_NO_FATAL_FAILURE(AddBig(w, archive));
  ASSERT_NO_FATAL_FAILURE(AddPrepared(w, archive, kAfterName, ziptest::Text(10000, 2)));
  ASSERT_NO_FATAL_FAILURE(AddStreamed(w, archive, kUnicodeName, ziptest::Text(5000, 3)));
  Status s = w.Finish();
  ASSERT_TRUE(s.ok()) << s.error().message();
  s = sink.Close();
  ASSERT_TRUE(s.ok()) << s.error().message();
  archive.size = w.bytes_written();
}

class ZipHugeArchiveTest : public testing::Test {
 protected:
  // A failure here fails the suite (the binary exits 1) and GoogleTest skips its tests.
  static void SetUpTestSuite() {
    const fs::path temp = fs::temp_directory_path();
    const uint64_t available = fs::space(temp).available;
    ASSERT_GE(available, kRequiredFreeSpace)
        << "zip_huge_test writes a 4.1 GiB archive under " << temp << " and needs "
        << kRequiredFreeSpace / kGiB << " GiB free there, but only " << available / kMiB
        << " MiB are: free some space or point TMPDIR to a larger disk.";
    archive_ = std::make_unique<HugeArchive>();
    WriteArchive(*archive_);
  }
  static void TearDownTestSuite() { archive_.reset(); }

  static std::string Path() { return ShellQuote(archive_->path.string()); }

  static std::unique_ptr<HugeArchive> archive_;
};

std::unique_ptr<HugeArchive> ZipHugeArchiveTest::archive_;

TEST_F(ZipHugeArchiveTest, LastEntriesStartPast4GiB) {
  EXPECT_EQ(fs::file_size(archive_->path), archive_->size);
  EXPECT_GT(archive_->Find(kAfterName).offset, kClassicLimit);
  EXPECT_GT(archive_->Find(kUnicodeName).offset, kClassicLimit);
}

TEST_F(ZipHugeArchiveTest, UnzipTestsEveryEntry) {
  const CommandResult r = RunCommand("unzip -t " + Path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("No errors detected"), std::string::npos) << r.output;
  // Lines read "    testing: NAME   OK".
  std::vector<std::string> tested;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    const std::string prefix = "    testing: ";
    if (!line.starts_with(prefix)) continue;
    EXPECT_TRUE(line.ends_with(" OK")) << line;
    const std::string name = line.substr(prefix.size(), line.size() - prefix.size() - 3);
    tested.push_back(name.substr(0, name.find_last_not_of(' ') + 1));
  }
  std::vector<std::string> names;
  for (const Entry& e : archive_->entries) names.push_back(e.name);
  EXPECT_EQ(tested, names) << r.output;
}

TEST_F(ZipHugeArchiveTest, SevenZipTestsEveryEntry) {
  const CommandResult r = RunCommand("7z t " + Path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Everything is Ok"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;
  uint64_t total = 0;
  for (const Entry& e : archive_->entries) total += e.size;
  EXPECT_NE(r.output.find("Files: " + std::to_string(archive_->entries.size()) + "\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Size:       " + std::to_string(total) + "\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Compressed: " + std::to_string(archive_->size) + "\n"),
            std::string::npos)
      << r.output;
}

TEST_F(ZipHugeArchiveTest, PythonZipfileChecksEveryCrc) {
  std::string expected;
  for (const Entry& e : archive_->entries) {
    expected += std::to_string(e.method == Method::kDeflate ? 8 : 0) + " " +
                std::to_string(e.size) + " " + std::to_string(e.offset) + " " +
                (e.size < kMiB ? e.sha256 : "-") + " " + e.name + "\n";
  }
  const CommandResult r = RunCommand("/usr/bin/python3 -c " + ShellQuote(kPythonReader) + " " + Path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, expected);
}

TEST_F(ZipHugeArchiveTest, BsdtarListsAndExtractsTheBigEntry) {
  std::string names;
  for (const Entry& e : archive_->entries) names += e.name + "\n";
  const CommandResult listed = RunCommand("bsdtar -tf " + Path());
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_EQ(listed.output, names);

  const Entry& big = archive_->Find(kBigName);
  const CommandResult extracted = RunCommand("bsdtar -xOf " + Path() + " " + kBigName +
                                             " | /usr/bin/python3 -c " + ShellQuote(kDigestReader));
  EXPECT_EQ(extracted.exit_code, 0) << extracted.output;
  EXPECT_EQ(extracted.output, std::to_string(big.size) + " " + big.sha256 + "\n")
      << "bsdtar extracted other bytes for " << kBigName;
}

// From a pipe, bsdtar sees no central directory: it reaches the entries after the
// big one only by finding the big entry's data descriptor.
TEST_F(ZipHugeArchiveTest, BsdtarStreamsPastTheBigEntrysDataDescriptor) {
  const CommandResult r =
      RunCommand("cat " + Path() + " | bsdtar -xOf - " + kAfterName + " " + ShellQuote(kUnicodeName));
  EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
  EXPECT_TRUE(r.output == archive_->Find(kAfterName).content + archive_->Find(kUnicodeName).content)
      << "bsdtar (streaming) extracted:\n"
      << r.output.substr(0, 2000);
}

}  // namespace
}  // namespace pacsport::zip
