// SourceStatus: what the health endpoint tells of one source of DICOM files, as
// last observed. Values only; no patient data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pacsport {

struct SourceStatus {
  std::string name;  // as in InstanceLocation::source
  std::string kind;  // "local" or "orthanc"
  bool reachable = false;
  // For sources with a change feed: the last change indexed and the source's last
  // change, when known.
  std::optional<std::int64_t> indexed_change;
  std::optional<std::int64_t> last_change;
  std::string last_sync_at;  // ISO 8601 UTC of the last complete pass; "" before one
  std::string error;         // why the last attempt failed; "" when it did not
  std::string synced_by;     // the replica syncing it (core/replica_id.h); "" when none
};

}  // namespace pacsport
