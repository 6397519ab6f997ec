// Packager: writes a PlannedExport as a ZIP archive to a ByteSink.
//
// Entry order: for each study, each instance's DICOM file followed by its previews;
// then the metadata document (which records every preview and previewError, so it is
// written once they are known, docs/decisions/0001); then checksums.sha256 covering
// every other entry, in entry order; then, when a receipt is given, receipt.json, the
// last entry, signed over the checksums of every entry before it
// (export/export_receipt.h), whose own checksum line is the manifest's last.
// A disc (format=media) adds, after the DICOM files and previews and before the
// metadata document: DICOMDIR, INDEX.HTM, IHE_PDI/STYLE.CSS, README.TXT. Its DICOM
// files are also copied to a private temporary folder (export/media_stage.h) from which
// DCMTK makes the DICOMDIR (dicom/media_directory.h); the folder is removed once the
// DICOMDIR is added, or when the archive ends on any other path. Its disk use is the
// export's DICOM bytes; INDEX.HTM's sections spill to a temporary file as the
// checksums do, so memory stays bounded by the window and the largest study.
//
// Instances flow through a bounded parallel pipeline (oneTBB): a serial stage hands
// out instances in plan order, a parallel stage reads, verifies, deflates (libdeflate)
// on every core and has the preview workers render the frames, and a serial stage
// writes the results in plan order. At most `window` instances are in flight, so memory is bounded
// by the window times the largest instance held whole, never by the size of the export; a sink that
// blocks (a slow client) stalls the writer and so the whole pipeline.
// An instance larger than `whole_instance_max_bytes` is never held whole: the writer
// streams it from the source in chunks (zlib, data descriptor) and into an unnamed
// temporary file, from which the preview workers render its previews.
//
// Memory does not grow with the export either: the instances are walked from the
// plan's index snapshot a study at a time; what must be kept until the end (each
// instance's preview outcome for the metadata document, the checksums lines, the ZIP
// central directory) goes to unnamed temporary files (zip/spill_file.h) once past
// about 1 MiB; the metadata document is streamed into its entry from a second walk of
// the same snapshot (held whole up to 8 MiB, as any small entry; else a streamed
// ZIP64-announced entry with a data descriptor).
//
// Every DICOM file is checked against the SHA-256 recorded at ingest: a file that is
// missing, unreadable or altered fails the export (integrity first, nothing skipped).
// A preview that cannot be rendered is reported in the document and the export goes
// on. The first failure (source, sink, stop request) cancels the work in flight.
// An exception thrown anywhere while packaging (out of memory in the metadata
// document, the checksums or compression; a bug) ends the archive unfinished like a
// failure, as kFault: WriteArchive never throws.
// Knows nothing of HTTP. The sources it reads must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <stop_token>

#include "core/byte_sink.h"
#include "core/clock.h"
#include "core/error.h"
#include "export/export_progress.h"
#include "export/export_receipt.h"
#include "export/planner.h"
#include "preview/preview_pool.h"
#include "storage/dicom_source.h"

namespace pacsport {

enum class PackageOutcome { kComplete, kSinkFailed, kSourceFailed, kStopped, kFault };

struct PackageReport {
  PackageOutcome outcome = PackageOutcome::kComplete;
  std::optional<Error> error;  // set unless kComplete
  std::uint64_t bytes_written = 0;
  std::int64_t entries = 0;
  std::int64_t instances = 0;  // DICOM files written whole
};

// How one archive uses memory and threads. The defaults suit the server.
struct PackagerLimits {
  // Instances in flight between the reader and the writer; 0 means the number of
  // pipeline threads plus one, so that every thread has work while the writer waits
  // on the sink. The pipeline runs one thread per core, two with previews (a thread
  // waiting for a preview worker leaves its core to it).
  std::size_t window = 0;
  // Pipeline threads on top of those per core, for reads that wait on a network
  // (DicomSource::WaitingReads).
  int waiting_reads = 0;
  // Larger instances are streamed in chunks of `stream_chunk_bytes`.
  std::uint64_t whole_instance_max_bytes = std::uint64_t{64} << 20;
  std::size_t stream_chunk_bytes = std::size_t{1} << 20;
  // What the archive keeps in memory of the checksums, the central directory and
  // the preview outcomes before it spills them to temporary files.
  std::size_t spill_after_bytes = std::size_t{1} << 20;
  // A metadata document up to this size is held and added whole (exact sizes in its
  // local header); a larger one is streamed, ZIP64 announced (its size is unknown).
  std::size_t document_memory_bytes = std::size_t{8} << 20;
};

// The Error an exception thrown while exporting stands for: kUnavailable for
// std::bad_alloc (out of memory: retry later), kInternal otherwise.
Error FaultOf(const std::exception& fault);

// Writes `plan` (which must be a ZIP export or a disc) to `sink`, walking it (one thread at a
// time uses the plan). On any outcome but kComplete
// the archive is unfinished and the caller must abort the delivery.
// Previews are rendered by `previews`, shared with other archives. `progress`, when
// given, counts the instances and bytes written as they are. `receipt`, when given
// (borrowed, with its signer), is signed and written as receipt.json; without it
// the archive has none.
PackageReport WriteArchive(PlannedExport& plan, DicomSource& source, preview::PreviewPool& previews,
                           ByteSink& sink, SystemTime exported_at, std::stop_token stop,
                           const PackagerLimits& limits = {}, ExportProgress* progress = nullptr,
                           const ExportReceipt* receipt = nullptr);

}  // namespace pacsport
