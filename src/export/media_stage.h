// MediaStage: a private temporary folder that holds a copy of a disc's DICOM files
// while its DICOMDIR is made (DCMTK's DicomDirInterface reads each file from disk,
// and the archive itself is streamed, never on disk).
//
// The folder is made mode 0700 under the given parent (the system's temporary
// directory) and removed with all it holds when the stage is destroyed, on every path
// (success, failure, stop, exception). Its disk use is the export's DICOM bytes plus
// the DICOMDIR. Put may be called from several threads at once for different files.
// Errors: kUnavailable when the folder or a file cannot be made or written (disk full).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pacsport {

class MediaStage {
 public:
  static Result<std::unique_ptr<MediaStage>> Create(const std::filesystem::path& parent);
  MediaStage(const MediaStage&) = delete;
  MediaStage& operator=(const MediaStage&) = delete;
  ~MediaStage();

  const std::filesystem::path& root() const { return root_; }

  // A file written piece by piece at a path relative to the root; closed when destroyed.
  class File {
   public:
    File(File&& other) noexcept;
    File& operator=(File&&) = delete;
    ~File();
    Status Append(std::string_view bytes);

   private:
    friend class MediaStage;
    explicit File(int fd) : fd_(fd) {}
    int fd_;
  };
  // Creates the file at `relative` ('/'-separated), and its folders.
  Result<File> Open(const std::string& relative);
  // Writes `bytes` as the file at `relative`.
  Status Put(const std::string& relative, std::string_view bytes);

 private:
  explicit MediaStage(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace pacsport
