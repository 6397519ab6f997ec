// Packager: writes an ExportPlan as a ZIP archive to a ByteSink.
//
// Entry order: for each study, each instance's DICOM file followed by its previews;
// then the metadata document (which records every preview and previewError, so it is
// written once they are known); then checksums.sha256 covering every other entry.
// Every DICOM file is checked against the SHA-256 recorded at ingest: a file that is
// missing, unreadable or altered fails the export (integrity first, nothing skipped).
// A preview that cannot be rendered is reported in the document and the export goes
// on. Knows nothing of HTTP. Single-threaded per call; the sources it reads are
// thread-safe.
#pragma once

#include <cstdint>
#include <stop_token>

#include "core/byte_sink.h"
#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "storage/dicom_source.h"

namespace pacsport {

enum class PackageOutcome { kComplete, kSinkFailed, kSourceFailed, kStopped };

struct PackageReport {
  PackageOutcome outcome = PackageOutcome::kComplete;
  std::optional<Error> error;  // set unless kComplete
  std::uint64_t bytes_written = 0;
  std::int64_t entries = 0;
};

// Writes `plan` (which must be a ZIP export) to `sink`. On any outcome but kComplete
// the archive is unfinished and the caller must abort the delivery.
PackageReport WriteArchive(const ExportPlan& plan, DicomSource& source, ByteSink& sink,
                           SystemTime exported_at, std::stop_token stop);

}  // namespace pacsport
