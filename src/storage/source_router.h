// SourceRouter: the DicomSource over every configured store and PACS. It sends each
// read to the source named by the location (InstanceLocation::source).
//
// Sources are added before the router is shared and are borrowed: they must
// outlive it. A location naming no added source is kUnavailable (the configuration
// no longer lists the source that holds it). Thread-safe once built.
#pragma once

#include <map>
#include <set>
#include <string>

#include "storage/dicom_source.h"

namespace pacsport {

class SourceRouter : public DicomSource {
 public:
  // Requires a name not added before.
  void Add(const std::string& name, DicomSource& source);

  Result<std::string> Read(const InstanceLocation& location) override;
  Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                     const ChunkConsumer& consume) override;
  // Checks every source.
  Status CheckReachable() override;
  // Checks the named sources only, in name order; the first failure is returned.
  Status CheckReachable(const std::set<std::string>& names);
  // The most WaitingReads() of the named sources.
  int WaitingReads(const std::set<std::string>& names) const;

 private:
  Result<DicomSource*> Find(const std::string& name) const;

  std::map<std::string, DicomSource*, std::less<>> sources_;
};

}  // namespace pacsport
