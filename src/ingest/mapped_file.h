// MappedFile: a local DICOM file opened read-only and mapped without being read, so
// that a multi-gigabyte file can be parsed in place: only the pages the parser
// touches come into memory (the tags; values over 4 KiB are skipped), and they stay
// page cache the kernel can reclaim. ReadChunks streams the whole file through one
// small buffer, for hashing and copying, without touching the mapping.
// Not thread-safe; movable, not copyable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "storage/dicom_source.h"

namespace pacsport {

class MappedFile {
 public:
  // kInvalidInput when `path` is not a regular file; kUnavailable when it cannot be
  // opened or mapped. Empty files map to an empty view.
  static Result<MappedFile> Open(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  ~MappedFile();

  // The file's bytes, valid while this object lives. The file must not shrink
  // meanwhile (reading a page past its new end would fault).
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  std::uint64_t size() const { return size_; }

  // Hands the whole file to `consume` in order, in chunks of at most 1 MiB; stops at
  // the first error `consume` returns, which it returns. kUnavailable on a read
  // error, or when the file ends early (it shrank since Open).
  Status ReadChunks(const DicomSource::ChunkConsumer& consume) const;

 private:
  MappedFile(int fd, void* data, std::uint64_t size) : fd_(fd), data_(data), size_(size) {}
  int fd_;
  void* data_;
  std::uint64_t size_;
};

}  // namespace pacsport
