// Test helper: checks a ZIP archive with independent readers run as processes
// (Python's zipfile, Info-ZIP unzip, libarchive's bsdtar in seekable and streaming
// mode, 7-Zip), reporting mismatches as GoogleTest failures. Test-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "zip/prepared_entry.h"

namespace pacsport::zip::ziptest {

// What a reader must find: an entry, its uncompressed bytes, and how it is stored.
struct ExpectedEntry {
  std::string name;
  std::string content;
  Method method;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs `command` with bash (pipefail on) and the C.UTF-8 locale.
CommandResult RunCommand(const std::string& command);
// `s` as one bash word, for building commands.
std::string ShellQuote(std::string_view s);

// A temporary file holding `bytes`, removed on destruction.
class TempArchive {
 public:
  explicit TempArchive(std::string_view bytes);
  ~TempArchive();
  TempArchive(const TempArchive&) = delete;
  TempArchive& operator=(const TempArchive&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

// Python zipfile: testzip() passes; names, order, methods and contents match.
void ExpectPythonReads(const TempArchive& archive, const std::vector<ExpectedEntry>& entries);
// unzip -t and 7z t: exit code 0, no warning.
void ExpectUnzipTests(const TempArchive& archive);
void ExpectSevenZipTests(const TempArchive& archive);
// bsdtar lists the names in order.
void ExpectBsdtarLists(const TempArchive& archive, const std::vector<ExpectedEntry>& entries);
// bsdtar extracts the contents both from the file (central directory) and from a
// pipe (local headers and data descriptors only, as a streaming reader sees them).
void ExpectBsdtarExtracts(const TempArchive& archive, const std::vector<ExpectedEntry>& entries);

// All of the above.
void ExpectAllReadersAccept(std::string_view archive_bytes,
                            const std::vector<ExpectedEntry>& entries);

}  // namespace pacsport::zip::ziptest
