// OrthancSource: reads the DICOM files of indexed instances from an Orthanc server,
// by the Orthanc instance ID that is the location's key (GET /instances/{id}/file).
//
// The file is Orthanc's stored copy, byte for byte. An instance Orthanc no longer
// holds is kNotFound, named as deleted from the source since it was indexed; an
// unreachable Orthanc is kUnavailable (see RestClient). Thread-safe; at most
// `max_in_flight` reads run at once, others wait for a connection.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "orthanc/orthanc_settings.h"
#include "orthanc/rest_client.h"
#include "storage/dicom_source.h"

namespace pacsport {

class OrthancSource : public DicomSource {
 public:
  explicit OrthancSource(const OrthancSettings& settings)
      : settings_(settings), client_(settings) {}

  const OrthancSettings& settings() const { return settings_; }
  RestClient& client() { return client_; }

  Result<std::string> Read(const InstanceLocation& location) override;
  Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                     const ChunkConsumer& consume) override;
  // Asks Orthanc for /system.
  Status CheckReachable() override;
  int WaitingReads() const override { return settings_.max_in_flight; }

 private:
  // kInvalidInput unless `location` is of this source and its key looks like an
  // Orthanc ID (so that it cannot change the request's path).
  Result<std::string> FilePath(const InstanceLocation& location) const;
  Error ReadError(const Error& error, const InstanceLocation& location) const;

  const OrthancSettings settings_;
  RestClient client_;
};

}  // namespace pacsport
