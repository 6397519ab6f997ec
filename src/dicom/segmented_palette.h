// Internal to src/dicom: segmented palette colour lookup tables, expanded.
//
// A PALETTE COLOR image may give its red, green and blue tables as Segmented Palette
// Color Lookup Table Data (0028,1221-1223; PS3.3 C.7.9.2): discrete runs of entries,
// linear ramps from the previous entry, and indirect segments that repeat earlier
// segments. DCMTK 3.6.7 does not expand them (it warns "segmented palettes not yet
// supported" and then finds no table), so ExpandSegmentedPalettes writes each one out
// as the plain Palette Color Lookup Table Data (0028,1201-1203) that DCMTK applies to
// the stored values. A colour that also has a plain table keeps it, as in pydicom.
// Pure functions; thread-safe for distinct datasets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"

class DcmItem;

namespace pacsport::dicom {

// Expands the segments of one colour, `words` (16-bit words for `bits` 16, bytes for
// `bits` 8), into exactly `entries` values.
// An indirect segment's offset counts bytes from the start of `words`, as the
// standard and GDCM read it (pydicom counts words; they agree on 8-bit tables), and
// may not point at another indirect segment. A linear ramp's entries are rounded to
// the nearest integer, halves to even. Errors: kInvalidInput "segmented palette: ..."
// (an unknown segment type, a segment that runs past the data, a first segment that
// is linear or indirect, an expansion of another length than `entries`, or one that
// takes more than a million segments).
Result<std::vector<uint16_t>> ExpandSegments(std::span<const uint16_t> words, uint32_t entries,
                                             int bits);

// For a PALETTE COLOR `dataset`, replaces each colour's segmented table that has no
// plain one by its expansion, as 16-bit words (one per entry) under the colour's
// descriptor. Other datasets are left alone. Errors: ExpandSegments', or
// kInvalidInput "segmented palette without a valid descriptor".
Status ExpandSegmentedPalettes(DcmItem& dataset);

}  // namespace pacsport::dicom
