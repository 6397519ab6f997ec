// The export's metadata document (patient_data.json, study_data.json, all_data.json),
// whose shape is fixed by the spec and by docs/schemas/*.schema.json. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "export/export_plan.h"

namespace pacsport {

// What writing an instance produced: the entry names of its previews, or why none
// could be rendered.
struct InstanceOutcome {
  std::vector<std::string> previews;
  std::optional<std::string> preview_error;
};
using InstanceOutcomes = std::unordered_map<RowId, InstanceOutcome>;  // by InstanceRecord::id

// Builds the document for `plan`. `includes_images` says whether the DICOM files are
// part of the delivery (false for format=json); instance outcomes missing from
// `outcomes` are reported with no previews.
std::string BuildMetadataDocument(const ExportPlan& plan, const InstanceOutcomes& outcomes,
                                  bool includes_images, SystemTime exported_at);

}  // namespace pacsport
