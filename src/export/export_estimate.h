// ExportEstimate: what an export would hold, told before it runs (the export
// dialog's details; useful to API users too). Planned exactly as the export would
// be, so it sees the same data and refuses the same way (kNotFound for another
// hospital's patient or study, kForbidden for a non-admin's "all"). Not audited:
// it returns counts, not patient data. Thread-safe.
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "index/index.h"

namespace pacsport {

struct ExportEstimate {
  std::int64_t studies = 0;
  std::int64_t instances = 0;
  std::int64_t dicom_bytes = 0;  // the DICOM files as stored
  std::int64_t frames = 0;       // the previews a ZIP with previews would hold
  // The download's size: exact for format=json; for a ZIP an upper bound on its
  // DICOM part (deflate stores what it cannot shrink) plus kPreviewBytesPerFrame per
  // preview, so usually more than the real size for images that compress.
  std::int64_t estimated_bytes = 0;
};

// A 512x512 greyscale preview PNG is about 60 KB (docs/performance.md).
inline constexpr std::int64_t kPreviewBytesPerFrame = 64 << 10;

Result<ExportEstimate> EstimateExport(Index& index, const Principal& principal,
                                      const ExportRequest& request, SystemTime now);

// The estimate of an export already planned.
ExportEstimate EstimatePlan(const ExportPlan& plan, SystemTime now);

}  // namespace pacsport
