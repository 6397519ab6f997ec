// DownloadedObject: the bytes of one file received in chunks, kept in memory up to
// `memory_limit` bytes and spilled beyond that to an unnamed temporary file under
// TMPDIR (gone when closed, even after a crash), so that a large file costs disk
// rather than memory. Finish gives a view of either, valid while the object lives.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "preview/shared_object.h"

namespace pacsport {

class DownloadedObject {
 public:
  explicit DownloadedObject(size_t memory_limit) : memory_limit_(memory_limit) {}

  // kUnavailable when the temporary file cannot be created or written (disk full).
  Status Append(std::string_view chunk);
  // All the bytes appended. Call once, after the last Append.
  Result<std::string_view> Finish();
  bool spilled() const { return spill_.has_value(); }

 private:
  const size_t memory_limit_;
  std::string memory_;
  std::optional<preview::SharedObjectWriter> spill_;
  std::optional<preview::MappedObject> mapped_;
};

}  // namespace pacsport
