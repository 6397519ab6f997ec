// ExportSizeLimits: the largest export a hospital may make, checked against the
// plan's estimate (export_estimate.h) before the first byte is sent, so that a
// request for terabytes is refused at once instead of holding a slot for hours.
// Values only; thread-safe to read.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"
#include "export/export_estimate.h"

namespace pacsport {

struct ExportSizeLimits {
  std::int64_t default_max_bytes = 0;               // every hospital's; 0: no limit
  std::map<std::string, std::int64_t> by_hospital;  // hospital name → its own; 0: none

  // The limit of the hospital named `hospital_name`; 0: none.
  std::int64_t For(const std::string& hospital_name) const;
};

// kPayloadTooLarge (413) naming the estimate and the limit when the estimated size is
// over `max_bytes` (0: no limit).
Status CheckExportSize(const ExportEstimate& estimate, std::int64_t max_bytes);

}  // namespace pacsport
