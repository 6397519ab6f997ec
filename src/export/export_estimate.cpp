#include "export/export_estimate.h"

#include "export/metadata_document.h"
#include "export/planner.h"

namespace pacsport {
namespace {

// A ZIP entry's local header, data descriptor and central directory record, with
// its name, are at most this much (ZIP64 included) on top of the name's length.
constexpr std::int64_t kEntryOverheadBytes = 200;

}  // namespace

Result<ExportEstimate> EstimateExport(Index& index, const Principal& principal,
                                      const ExportRequest& request, SystemTime now) {
  auto plan = PlanExport(index, principal, request, now);
  if (!plan.ok()) return plan.error();
  return EstimatePlan(*plan, now);
}

ExportEstimate EstimatePlan(const ExportPlan& plan, SystemTime now) {
  ExportEstimate estimate;
  estimate.instances = plan.instance_count;
  estimate.dicom_bytes = plan.dicom_bytes;
  for (const PlannedPatient& patient : plan.patients) {
    estimate.studies += static_cast<std::int64_t>(patient.studies.size());
    for (const PlannedStudy& study : patient.studies) {
      for (const PlannedInstance& instance : study.instances) {
        estimate.frames += instance.record.number_of_frames;
      }
    }
  }
  const std::int64_t document =
      static_cast<std::int64_t>(BuildMetadataDocument(plan, {}, plan.WithImages(), now).size());
  if (plan.request.options.format == ExportFormat::kJson) {
    estimate.estimated_bytes = document;
    return estimate;
  }
  std::int64_t entries = 2;  // the document and the checksums
  estimate.estimated_bytes = document + 100 * (estimate.instances + 2);  // checksum lines
  if (plan.WithImages()) {
    entries += estimate.instances;
    estimate.estimated_bytes += estimate.dicom_bytes;
  }
  if (plan.WithPreviews()) {
    entries += estimate.frames;
    estimate.estimated_bytes += estimate.frames * kPreviewBytesPerFrame;
  }
  estimate.estimated_bytes += entries * kEntryOverheadBytes;
  return estimate;
}

}  // namespace pacsport
