// InstanceFeed: an export's instances one at a time, as DICOM files ready to send to
// another PACS, for an export job whose destination receives instances rather than an
// archive (delivery kinds "dicom" and "dicomweb", delivery/instance_sender.h).
//
// Every file is read from its source and checked against the SHA-256 recorded at
// ingest before it is given out (integrity first: a mismatch ends the feed with an
// error), then de-identified when the export asks for it, so that what a peer receives
// is exactly what an archive of the same export would hold.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "core/error.h"

namespace pacsport {

// One DICOM file (Part 10, preamble and meta header included) as it is to be sent.
// The UIDs are those of the file as sent (new ones when de-identified).
struct OutgoingInstance {
  std::string study_uid;
  std::string series_uid;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string bytes;
};

class InstanceFeed {
 public:
  virtual ~InstanceFeed() = default;
  // How many instances the feed gives in all.
  virtual std::int64_t count() const = 0;
  // The next instance, or nullopt after the last. An error (a source that failed, a
  // file that no longer matches its checksum, a stop request) ends the feed.
  virtual Result<std::optional<OutgoingInstance>> Next(std::stop_token stop) = 0;
};

}  // namespace pacsport
