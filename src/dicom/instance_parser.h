// Reading the identity and descriptive tags of one DICOM object held in memory.
//
// Accepts a DICOM Part 10 file (with or without the 128-byte preamble) or a raw
// dataset whose transfer syntax is detected from its first bytes. The whole object
// is parsed, so a file that ends inside an element is refused rather than indexed.
// Refusals, always ErrorCode::kInvalidInput with a short reason that never
// contains patient data:
//   - empty input, not DICOM, or the data ends inside an element ("truncated");
//   - StudyInstanceUID, SeriesInstanceUID or SOPInstanceUID missing, or not a
//     valid UID (pacsport::IsValidUid);
//   - sequences nested more than kMaxSequenceDepth levels deep.
// A deflated dataset (1.2.840.10008.1.2.1.99) that inflates beyond
// ParseLimits::max_inflated_bytes is refused with kPayloadTooLarge, and no more than
// that is ever inflated. The parser's own
//     recursion is also capped by stack use, so hostile nesting is refused before
//     it can exhaust the stack (callers need about 1 MiB of free stack).
// Values longer than 4 KiB are never copied (nor allocated at a declared length)
// while parsing. Throws ErrorException(kInternal) only when DICOM support itself is
// broken (see Initialize). Stateless and thread-safe; `bytes` is only borrowed for
// the call.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/records.h"

namespace pacsport::dicom {

inline constexpr int kMaxSequenceDepth = 64;

// Bounds on what parsing one object may cost.
struct ParseLimits {
  // Largest inflated dataset of a deflated object, in bytes.
  std::uint64_t max_inflated_bytes = std::uint64_t{1024} << 20;
};

// Strings come back without their DICOM padding (trailing spaces and NULs) and, for
// the character-set dependent fields (names, IDs, descriptions), converted to UTF-8
// according to SpecificCharacterSet; when that conversion fails the raw bytes are
// kept. PatientID may be empty. number_of_frames is NumberOfFrames when it holds a
// positive integer, else 1 when the object has pixel data (integer, float or double
// float), else 0. transfer_syntax_uid is the meta header's, or the one detected for
// a raw dataset. orthanc_instance_id is the ID Orthanc gives the object. rows,
// columns, samples_per_pixel and bits_allocated are the pixel data's (0 when the
// object has none or the tag is absent); the export estimate sizes previews by them.
Result<InstanceMetadata> ParseInstance(std::string_view bytes, const ParseLimits& limits = {});

}  // namespace pacsport::dicom
