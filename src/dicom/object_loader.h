// Internal to src/dicom: one DICOM object parsed from memory by DCMTK.
//
// LoadObject runs DCMTK's parser over a memory buffer and returns the parsed object
// only when the whole buffer was consumed without error, and no sequence is nested
// more than kMaxSequenceDepth levels deep. DCMTK's type is only forward-declared
// here so that its headers stay inside this folder's .cpp files.
// Thread-safe: every call builds its own objects.
#pragma once

#include <memory>
#include <string_view>

#include "core/error.h"
#include "dicom/instance_parser.h"

class DcmFileFormat;

namespace pacsport::dicom {

struct DcmFileFormatDeleter {
  void operator()(DcmFileFormat* file) const;
};
using DicomObject = std::unique_ptr<DcmFileFormat, DcmFileFormatDeleter>;

// Parses `bytes` (Part 10 file or raw dataset). Values longer than 4 KiB (pixel
// data, mostly) are not copied: the returned object reads them from `bytes` when
// asked, so `bytes` must outlive it. A deflated dataset is inflated as it is parsed
// (its values are then held in memory), and no more than limits.max_inflated_bytes
// of it ever: a read that would go past that refuses the object with
// kPayloadTooLarge ("... inflates beyond N MiB") before the bytes are inflated.
// Other errors: kInvalidInput with a short reason without patient data ("empty
// input", "not a DICOM object", "truncated", "sequences nested too deep", ...).
Result<DicomObject> LoadObject(std::string_view bytes, const ParseLimits& limits);

}  // namespace pacsport::dicom
