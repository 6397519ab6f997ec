// Reading a Specific Character Set (0008,0005) as its writer evidently meant it.
//
// Real files misspell the defined terms of PS3.3 C.12.1.1.2 ("ISO-IR 100",
// "ISO_IR100", "iso_ir 100", "ISO 8859-1", "UTF-8"); DCMTK knows only the exact terms
// and would leave such names undecoded. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pacsport::dicom {

// The value with each backslash-separated term trimmed and, when it is a misspelling
// of a defined term (ignoring case, spaces, '_' and '-', or naming the ISO 8859 part
// or UTF-8 the term stands for), replaced by that term. Terms it does not recognise
// are kept trimmed, and an empty first term (the default repertoire) stays empty.
std::string NormalizeSpecificCharacterSet(std::string_view value);

}  // namespace pacsport::dicom
