// PreparedInstance: one instance's archive entries made ready away from the writer
// thread: the DICOM file read, checked against its ingest SHA-256, de-identified when
// the export is (the check is always of the original bytes), and compressed, and its
// frames rendered to PNG previews by the worker pool. Pure apart from the source
// read; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "deid/deidentifier.h"
#include "export/export_plan.h"
#include "export/media_stage.h"
#include "preview/preview_pool.h"
#include "storage/dicom_source.h"
#include "zip/prepared_entry.h"

namespace pacsport {

struct PreparedInstance {
  std::optional<Error> error;    // set: the export must fail (integrity first)
  bool streamed = false;         // too large to hold: the writer streams it from the source
  zip::PreparedEntry dicom;      // named; empty when streamed
  std::string dicom_sha256;      // of the bytes written (de-identified ones when so)
  std::uint64_t dicom_size = 0;  // of the bytes written
  std::vector<zip::PreparedEntry> previews;  // in frame order, unnamed: the writer names them
  std::vector<std::string> preview_sha256;
  std::optional<std::string> preview_error;  // why there are no previews
};

// The deflate level for the DICOM file of `record`: 0 when its pixel data is already
// compressed (encapsulated transfer syntaxes), where deflate gains nothing.
int DicomEntryLevel(const InstanceRecord& record, int level);

// Reads and prepares `instance` unless its recorded size exceeds `whole_max_bytes`,
// in which case it only marks it streamed: the writer then streams it and renders its
// previews from a copy on disk.
// `previews` renders the frames when `with_previews`, in workers of `hospital`'s.
// `stage`, when given (a disc, format=media), receives a copy of the verified file at
// its entry name, for the DICOMDIR; a copy that cannot be written fails the instance.
// `deidentifier`, when given, de-identifies the file: one that cannot be is an error
// of the export (nothing identifying is ever sent as is), and previews that may show
// burned-in text are withheld (WithheldPreviews).
PreparedInstance PrepareInstance(const PlannedInstance& instance, DicomSource& source,
                                 preview::PreviewPool& previews, const ExportOptions& options,
                                 RowId hospital, bool with_previews, std::uint64_t whole_max_bytes,
                                 MediaStage* stage = nullptr,
                                 const deid::Deidentifier* deidentifier = nullptr);

// Why the previews of a de-identified instance are withheld (burned_in_text.h), unless
// the request includes images with burned-in text; nullopt: they may be rendered.
std::optional<std::string> WithheldPreviews(const deid::DeidentifiedInstance& instance,
                                            const deid::DeidentifyRequest& request);

// kInvalidInput naming the instance (not the patient), for a file that cannot be
// de-identified.
Error DeidentificationFailed(const InstanceRecord& record, const Error& error);

// What the preview workers are told of `record`: the frame count the server parsed.
preview::RenderJob PreviewJob(const InstanceRecord& record, RowId hospital,
                              const ExportOptions& options);

// Sets the previews of `prepared` from rendered `frames`, or its previewError.
void SetPreviews(Result<std::vector<dicom::FramePng>> frames, PreparedInstance& prepared);

// kInternal naming the instance, for a file that no longer matches its ingest SHA-256.
Error ChecksumMismatch(const InstanceRecord& record);

}  // namespace pacsport
