#include "zip/archive_readers.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/digest.h"

namespace pacsport::zip::ziptest {
namespace {

// Prints "<sha256> <compress_type> <file_size> <name>" per entry, after testzip().
constexpr const char* kPythonReader = R"PY(
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        print('testzip failed at', bad)
        sys.exit(3)
    out = sys.stdout.buffer
    for info in z.infolist():
        digest = hashlib.sha256(z.read(info)).hexdigest()
        out.write(f'{digest} {info.compress_type} {info.file_size} '.encode() + info.filename.encode('utf-8') + b'\n')
)PY";

std::string ConcatenatedDigest(const std::vector<ExpectedEntry>& entries) {
  Sha256 sha;
  for (const ExpectedEntry& e : entries) sha.Update(e.content.data(), e.content.size());
  return sha.FinishHex();
}

}  // namespace

CommandResult RunCommand(const std::string& command) {
  const std::string full = "LC_ALL=C.UTF-8 /bin/bash -o pipefail -c " + ShellQuote(command) + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TempArchive::TempArchive(std::string_view bytes) {
  std::string pattern = (std::filesystem::temp_directory_path() / "pacsport_zip_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  path_ = dir_ + "/archive.zip";
  std::ofstream out(path_, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write the temporary archive");
}

TempArchive::~TempArchive() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void ExpectPythonReads(const TempArchive& archive, const std::vector<ExpectedEntry>& entries) {
  std::string expected;
  for (const ExpectedEntry& e : entries) {
    const int type = e.method == Method::kDeflate ? 8 : 0;
    expected += Sha256Hex(e.content) + " " + std::to_string(type) + " " +
                std::to_string(e.content.size()) + " " + e.name + "\n";
  }
  const CommandResult r =
      RunCommand("/usr/bin/python3 -c " + ShellQuote(kPythonReader) + " " + archive.path());
  EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
  EXPECT_TRUE(r.output == expected) << "python zipfile read back:\n"
                                    << r.output.substr(0, 2000) << "\nexpected:\n"
                                    << expected.substr(0, 2000);
}

void ExpectUnzipTests(const TempArchive& archive) {
  const CommandResult r = RunCommand("unzip -tq " + archive.path());
  EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
  EXPECT_NE(r.output.find("No errors detected"), std::string::npos) << r.output.substr(0, 2000);
}

void ExpectSevenZipTests(const TempArchive& archive) {
  const CommandResult r = RunCommand("7z t " + archive.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Everything is Ok"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("WARNING"), std::string::npos) << r.output;
}

void ExpectBsdtarLists(const TempArchive& archive, const std::vector<ExpectedEntry>& entries) {
  std::string names;
  for (const ExpectedEntry& e : entries) names += e.name + "\n";
  const CommandResult listed = RunCommand("bsdtar -tf " + archive.path());
  EXPECT_EQ(listed.exit_code, 0) << listed.output.substr(0, 2000);
  EXPECT_TRUE(listed.output == names) << "bsdtar listed:\n" << listed.output.substr(0, 2000);
}

void ExpectBsdtarExtracts(const TempArchive& archive, const std::vector<ExpectedEntry>& entries) {
  const std::string digest = ConcatenatedDigest(entries) + "  -\n";
  const CommandResult seekable = RunCommand("bsdtar -xOf " + archive.path() + " | sha256sum");
  EXPECT_EQ(seekable.exit_code, 0) << seekable.output;
  EXPECT_EQ(seekable.output, digest) << "bsdtar (seekable) extracted other contents";
  const CommandResult streamed =
      RunCommand("cat " + archive.path() + " | bsdtar -xOf - | sha256sum");
  EXPECT_EQ(streamed.exit_code, 0) << streamed.output;
  EXPECT_EQ(streamed.output, digest) << "bsdtar (streaming) extracted other contents";
}

void ExpectAllReadersAccept(std::string_view archive_bytes,
                            const std::vector<ExpectedEntry>& entries) {
  const TempArchive archive(archive_bytes);
  ExpectPythonReads(archive, entries);
  ExpectUnzipTests(archive);
  ExpectBsdtarLists(archive, entries);
  ExpectBsdtarExtracts(archive, entries);
  ExpectSevenZipTests(archive);
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace pacsport::zip::ziptest
