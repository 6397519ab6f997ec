// import: every file under the given paths, recursively, into one hospital, each
// parsed and stored from the file itself (never read into memory whole).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/config.h"
#include "app/data_directory.h"
#include "dicom/initialize.h"
#include "ingest/ingestor.h"

namespace pacsport {
namespace fs = std::filesystem;
namespace {

// Regular files under `path` (itself if it is one), in a stable order.
std::vector<fs::path> FilesUnder(const fs::path& path, std::error_code& ec) {
  std::vector<fs::path> files;
  if (fs::is_regular_file(path, ec)) return {path};
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int RunImport(const fs::path& data, const std::optional<fs::path>& config_file,
              const std::string& hospital, const std::vector<std::string>& paths) {
  auto config = LoadConfig(config_file);
  if (!config.ok()) return Fail(config.error());
  dicom::Initialize();
  auto dir = DataDirectory::Open(data, config->index_url);
  if (!dir.ok()) return Fail(dir.error());
  auto found = (*dir)->index().FindHospital(hospital);
  if (!found.ok()) return Fail(found.error());
  Ingestor ingestor((*dir)->index(), (*dir)->store(), config->parse_limits);

  int added = 0, present = 0, rejected = 0;
  for (const std::string& root : paths) {
    std::error_code ec;
    const std::vector<fs::path> files = FilesUnder(root, ec);
    if (ec) {
      std::cerr << "rejected " << root << ": " << ec.message() << "\n";
      ++rejected;
      continue;
    }
    for (const fs::path& file : files) {
      auto result = ingestor.IngestFile(found->id, file);
      if (!result.ok()) {
        std::cerr << "rejected " << file.string() << ": " << result.error().message() << "\n";
        ++rejected;
      } else if (result->outcome == IngestOutcome::kAdded) {
        ++added;
      } else {
        ++present;
      }
    }
  }
  std::cout << "imported " << added << ", already present " << present << ", rejected " << rejected
            << "\n";
  // 2 tells a script that the import went through but left some files out.
  return rejected > 0 ? 2 : 0;
}

}  // namespace pacsport
