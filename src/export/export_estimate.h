// ExportEstimate: what an export would hold and how large its download will be, told
// before it runs (the export dialog's details, the size limit, a job's bytesTotal).
// Computed from sums the index keeps (Index::SumExportScope), never from a plan, so
// it costs a few aggregate queries whatever the export's size. It refuses as planning
// does (kNotFound for another hospital's patient or study, kForbidden for a
// non-admin's "all", kInvalidInput for a malformed id or batch). Not audited: it
// returns counts, not patient data. Thread-safe.
//
// How each part is estimated, and where its constants come from, is in
// docs/performance.md ("Estimates that hold", 2026-12-03).
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "core/error.h"
#include "export/export_request.h"
#include "index/index.h"

namespace pacsport {

struct ExportEstimate {
  std::int64_t studies = 0;
  std::int64_t instances = 0;
  std::int64_t dicom_bytes = 0;  // the DICOM files as stored
  std::int64_t frames = 0;       // the previews a ZIP with previews would hold
  // The download's size: for format=json the metadata document; for a ZIP the sum of
  // the two parts below, the metadata document and checksums (deflated) and the ZIP
  // records of every entry.
  std::int64_t estimated_bytes = 0;
  // In a ZIP with images: the DICOM entries as the packager writes them (deflated at
  // the request's level from the size measured at ingest; encapsulated syntaxes
  // stored). 0 without images and for format=json.
  std::int64_t estimated_dicom_bytes = 0;
  // In a ZIP with previews: the PNG entries, from each instance's pixel geometry and
  // how well its pixel data compresses. 0 without previews. Not capped at
  // preview.max_bytes_per_export_mb: beyond it the packager drops previews, and the
  // estimate is over by what it drops.
  std::int64_t estimated_preview_bytes = 0;
};

// The PNG size of one preview frame whose pixel geometry the index does not know
// (instances indexed before schema version 5): the synthetic CT's 60.7 KB per
// 512x512 frame (docs/performance.md).
inline constexpr std::int64_t kPreviewBytesPerFrame = 60 << 10;

Result<ExportEstimate> EstimateExport(Index& index, const Principal& principal,
                                      const ExportRequest& request, SystemTime now);

// The estimate of `request` over sums already read from the index (what
// EstimateExport does after its checks and its query). Pure; for tests.
ExportEstimate EstimateFromTotals(const ExportScopeTotals& totals, const Principal& principal,
                                  const ExportRequest& request);

}  // namespace pacsport
