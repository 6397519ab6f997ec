// DicomSource: where the bytes of indexed DICOM instances are read from (the local
// content-addressed store, or a PACS such as Orthanc).
//
// Implementations are thread-safe. A location that is missing or unreadable is
// reported as an Error (kNotFound when the object is gone, kUnavailable when the
// source cannot be reached); the export then fails rather than skipping data.
#pragma once

#include <string>

#include "core/error.h"
#include "core/records.h"

namespace pacsport {

class DicomSource {
 public:
  virtual ~DicomSource() = default;
  // The whole file, byte-exact as stored.
  virtual Result<std::string> Read(const InstanceLocation& location) = 0;
};

}  // namespace pacsport
