// DicomSource: where the bytes of indexed DICOM instances are read from (the local
// content-addressed store, or a PACS such as Orthanc).
//
// Implementations are thread-safe. A location that is missing or unreadable is
// reported as an Error (kNotFound when the object is gone, kUnavailable when the
// source cannot be reached); the export then fails rather than skipping data.
#pragma once

#include <map>
#include <memory>
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

// Routes each location to the source named in it. Sources are registered at start-up,
// before any Read; Read is then thread-safe.
class SourceRegistry : public DicomSource {
 public:
  // Borrows `source`, which must outlive the registry.
  void Register(const std::string& name, DicomSource& source) { sources_[name] = &source; }
  Result<std::string> Read(const InstanceLocation& location) override {
    const auto it = sources_.find(location.source);
    if (it == sources_.end()) return Internal("unknown DICOM source '" + location.source + "'");
    return it->second->Read(location);
  }

 private:
  std::map<std::string, DicomSource*> sources_;
};

}  // namespace pacsport
