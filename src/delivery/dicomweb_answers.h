// What a DICOMweb peer answers, read from its application/dicom+json (PS3.18 annex F:
// an object per data set, keyed by 8-hex-digit tags, each {"vr", "Value": [...]}).
//
// STOW-RS's Store Instances Response (PS3.18 section 10.5.3): the Referenced SOP
// Sequence (0008,1199) lists the instances stored, each with a Referenced SOP Instance
// UID (0008,1155) and perhaps a Warning Reason (0008,1196); the Failed SOP Sequence
// (0008,1198) lists those refused, each with a Failure Reason (0008,1197). Either may
// be absent, or present without a Value (Orthanc writes {"vr": "SQ"} when empty).
// Reasons are given as PS3.18 writes them, four hex digits and H, e.g. "0110H".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pacsport::delivery {

struct StowAnswer {
  std::map<std::string, std::string> stored;  // SOP Instance UID -> warning reason or ""
  std::map<std::string, std::string> failed;  // SOP Instance UID -> failure reason
};

// nullopt unless `body` is a DICOM JSON object. A failed item without a Failure
// Reason gets "no failure reason given"; an item without a SOP Instance UID is left out.
std::optional<StowAnswer> ParseStowAnswer(std::string_view body);

// The SOP Instance UIDs (0008,0018) of a QIDO-RS answer: a JSON array of data sets, or
// an empty body (204 No Content: no match). nullopt when not understood.
std::optional<std::vector<std::string>> ParseQidoSopInstanceUids(std::string_view body);

// A US value as PS3.18 writes a status: 272 -> "0110H".
std::string StatusCode(unsigned value);

}  // namespace pacsport::delivery
