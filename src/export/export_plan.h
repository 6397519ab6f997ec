// An export resolved against the index before a byte is written: which patients,
// studies and instances, in which order, under which ZIP entry names.
//
// ExportSummary is what is known of it up front (counts, sizes and sources from
// aggregate queries). The patients, studies and instances themselves are walked from
// an index snapshot as the export is written (planner.h: PlannedExport, PlanWalk),
// so that no export holds its whole plan in memory; ExportPlan is a plan walked
// into memory whole, for tests and small exports. Values only; thread-safe to read.
//
// Layouts (docs/export-format.md):
//   study    study_data.json, dicom/N.dcm, previews/frame_K.png
//   patient  patient_data.json, studies/UID/N.dcm, studies/UID/previews/frame_K.png
//   all      all_data.json, patients/PID/studies/UID/N.dcm, .../previews/frame_K.png
// and checksums.sha256 at the root of every ZIP. N counts a study's instances from 1
// in export order; K counts the frames of a study's previews from 0 in the same order.
// PID and UID are folder names that extract everywhere (zip/portable_names.h), distinct
// among their siblings; the metadata document maps them to the real IDs. In a
// de-identified export they, the download name and every ID the archive shows are
// the project's pseudonyms (ExportSummary::deidentifier).
// A disc (format=media) names its files as media_names.h says instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/records.h"
#include "deid/deidentifier.h"
#include "export/export_request.h"

namespace pacsport {

struct PlannedInstance {
  InstanceRecord record;
  std::string dicom_entry;  // e.g. "dicom/3.dcm"
};

struct PlannedStudy {
  StudyRecord study;
  std::string folder;             // e.g. "studies/1.2.3", no trailing '/'; empty in a study export
  std::string preview_directory;  // e.g. "previews/", ends with '/'
  std::vector<PlannedInstance> instances;  // export order
};

struct PlannedPatient {
  PatientRecord patient;
  std::string folder;  // e.g. "patients/_CON", no trailing '/'; empty but in an export of all
  std::vector<PlannedStudy> studies;  // empty as a walk gives it (PlanWalk)
};

struct ExportSummary {
  ExportRequest request;
  Principal principal;
  std::string archive_name;   // download name, e.g. "study_1.2.3_export.zip"
  std::string metadata_name;  // e.g. "study_data.json"
  // -1 until counted: an export of all counts them only when asked
  // (PlannedExport::CountTotals), since adding up every instance of a hospital takes
  // seconds at millions of instances and nothing before the first byte needs it.
  std::int64_t instance_count = 0;
  std::int64_t dicom_bytes = 0;
  std::vector<std::string> sources;  // the sources its instances are read from, sorted
  // Set when request.options.deidentify is: the project's de-identification, which
  // every file, name and document of the export goes through.
  std::shared_ptr<const deid::Deidentifier> deidentifier;

  bool WithImages() const { return request.options.include_images == IncludeImages::kYes; }
  bool WithPreviews() const {
    return WithImages() && request.options.previews == IncludePreviews::kYes;
  }
};

// The whole plan in memory: about 3.7 KB per instance (issue 13); for tests and
// small exports only.
struct ExportPlan : ExportSummary {
  std::vector<PlannedPatient> patients;
};

}  // namespace pacsport
