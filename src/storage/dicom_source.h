// DicomSource: where the bytes of indexed DICOM instances are read from (the local
// content-addressed store, or a PACS such as Orthanc).
//
// Implementations are thread-safe. A location that is missing or unreadable is
// reported as an Error (kNotFound when the object is gone, kUnavailable when the
// source cannot be reached); the export then fails rather than skipping data.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/records.h"

namespace pacsport {

class DicomSource {
 public:
  // Receives the file's bytes in order; an error it returns stops the read and is
  // returned by ReadChunked.
  using ChunkConsumer = std::function<Status(std::string_view)>;

  virtual ~DicomSource() = default;
  // The whole file, byte-exact as stored.
  virtual Result<std::string> Read(const InstanceLocation& location) = 0;
  // The whole file, byte-exact, passed to `consume` in chunks of at most `chunk_size`
  // bytes, for files too large to hold in memory. Requires chunk_size > 0.
  virtual Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                             const ChunkConsumer& consume) = 0;
  // Ok when reads can be expected to work now; kUnavailable with the reason when the
  // source cannot be reached. Cheap: one request at most.
  virtual Status CheckReachable() = 0;
  // How many reads may usefully wait at once on top of one per core: 0 for a
  // local disk, the connection bound of a remote source, whose reads wait on the
  // network. Readers use it to overlap waiting with work.
  virtual int WaitingReads() const { return 0; }
};

}  // namespace pacsport
