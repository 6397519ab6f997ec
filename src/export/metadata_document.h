// The export's metadata document (patient_data.json, study_data.json, all_data.json,
// batch_data.json), whose shape is fixed by the spec and by docs/schemas/*.schema.json.
//
// WriteMetadataDocument streams it from walks of the plan (patients, then studies,
// then instances: the document's three arrays), one record object at a time, so that
// its memory does not grow with the export; BuildMetadataDocument builds the same
// bytes in memory from a plan held whole (tests, estimates of small exports).
// Thread-safe functions; a PlannedExport is walked by one thread at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "export/planner.h"

namespace pacsport {

// What writing an instance produced: the entry names of its previews, or why none
// could be rendered (or were withheld); in a de-identified export, the SHA-256 and
// size of the de-identified file written.
struct InstanceOutcome {
  std::vector<std::string> previews;
  std::optional<std::string> preview_error;
  std::optional<std::string> sha256;
  std::optional<std::int64_t> size;
};
using InstanceOutcomes = std::unordered_map<RowId, InstanceOutcome>;  // by InstanceRecord::id

// The outcome of each instance of a plan, one per instance in plan order (the
// packager's spilled outcomes).
class OutcomeSource {
 public:
  virtual ~OutcomeSource() = default;
  virtual Result<InstanceOutcome> Next() = 0;
};

// The one-record forms of an outcome as an OutcomeSource stores them.
std::string EncodeOutcome(const InstanceOutcome& outcome);
Result<InstanceOutcome> DecodeOutcome(std::string_view encoded);

// A de-identified export's document (plan.deidentifier) shows its records as
// deidentified_records.h says, and its metadata block adds "deidentification": the
// request (DeidentifyJson) and the CID 7050 codes applied.
//
// Builds the document for `plan`. `includes_images` says whether the DICOM files are
// part of the delivery (false for format=json); instance outcomes missing from
// `outcomes` are reported with no previews.
std::string BuildMetadataDocument(const ExportPlan& plan, const InstanceOutcomes& outcomes,
                                  bool includes_images, SystemTime exported_at);

// Writes the same document for a plan walked from its snapshot to `out`, in pieces of
// about 64 KiB. `outcomes`, when given, has one outcome per instance in plan order;
// without it every instance has no previews. Returns the first error of a walk, of
// `outcomes` or of `out` (after which nothing more is written).
Status WriteMetadataDocument(PlannedExport& plan, OutcomeSource* outcomes, bool includes_images,
                             SystemTime exported_at,
                             const std::function<Status(std::string_view)>& out);

}  // namespace pacsport
