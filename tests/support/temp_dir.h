// A temporary directory for one test, removed with everything in it at destruction.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace pacsport::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("pacsport-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The pydicom test corpus shipped by Debian's python3-pydicom.
inline std::filesystem::path CorpusFile(const std::string& name) {
  return std::filesystem::path("/usr/lib/python3/dist-packages/pydicom/data/test_files") / name;
}

}  // namespace pacsport::testing
