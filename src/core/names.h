// Validation and sanitizing of identifiers that come from DICOM data or from URLs.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pacsport {

// True for a UID pacsport accepts: what Orthanc accepts and is safe as a path
// component, 1-64 characters of digits and dots that neither begin nor end with a
// dot (so never ".", ".." or only dots). Real-world UIDs that PS3.5 9.1 does not
// allow are accepted: components with leading zeros ("1.2.840.0010.5"), empty ones.
bool IsValidUid(std::string_view uid);

// True for a plausible Patient ID (DICOM LO): at most 64 characters, where a
// character is a UTF-8 sequence or, in other character sets, a byte. May be empty.
bool IsValidPatientId(std::string_view id);

// Makes a data-derived string safe as one path component of a ZIP entry:
// no separators ('/', '\\'), no control characters, not "." or "..", no leading
// dots or spaces, at most 128 bytes of valid UTF-8 (invalid sequences become '_').
// Never returns an empty string: an empty result becomes "unknown".
std::string SanitizePathComponent(std::string_view raw);

// The Content-Disposition header value for a download named `filename`
// (RFC 6266 / RFC 8187): an ASCII fallback in filename="..." and, when the name is
// not plain ASCII, the exact UTF-8 name in filename*=UTF-8''... . The result never
// contains CR, LF, quotes or backslashes inside the quoted part.
std::string ContentDisposition(std::string_view filename);

}  // namespace pacsport
