// The names on a patient's disc (format=media, docs/export-format.md): File IDs of
// its DICOM files and names of its previews, every component at most 8 characters of
// A-Z, 0-9 and _ (PS3.10 section 8.2; PS3.12 ISO 9660 level 1), numbered from 1 in
// export order and zero-padded, so that they sort as they were numbered:
//   DICOM/P0000001/S0000001/SE000001/IM000001   patient, study, series, instance
//   IHE_PDI/P0000001/S0000001/F0000000.PNG      the study's preview frames, from 0
// Values only; a MediaStudyNames is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace pacsport {

inline constexpr std::string_view kMediaDicomFolder = "DICOM";
inline constexpr std::string_view kMediaPageFolder = "IHE_PDI";

// `prefix` followed by `number` zero-padded to 8 characters in all, e.g. ("SE", 12)
// gives "SE000012". kInvalidInput when the number does not fit (a disc cannot name
// it). Requires a prefix of 1-7 characters of A-Z and 0 <= number.
Result<std::string> MediaComponent(std::string_view prefix, std::int64_t number);

// The names of one study's files: its folder DICOM/Pnnnnnnn/Snnnnnnn, its previews'
// folder, and a File ID per instance, in a series folder per Series Instance UID
// (numbered in the order the series first appear).
class MediaStudyNames {
 public:
  // The study numbered `study` of the patient numbered `patient`.
  static Result<MediaStudyNames> Make(std::int64_t patient, std::int64_t study);

  const std::string& folder() const { return folder_; }                        // DICOM/P…/S…
  const std::string& preview_directory() const { return preview_directory_; }  // ends with '/'
  // The File ID of the next instance of the series `series_uid`, e.g.
  // "DICOM/P0000001/S0000001/SE000002/IM000003".
  Result<std::string> NextInstance(const std::string& series_uid);

 private:
  struct Series {
    std::string folder;
    std::int64_t instances = 0;
  };
  std::string folder_;
  std::string preview_directory_;
  std::unordered_map<std::string, Series> series_;  // by Series Instance UID
};

// The file name of a study's preview of frame `frame` (from 0) in its preview folder,
// e.g. "F0000000.PNG".
Result<std::string> MediaPreviewName(std::int64_t frame);

// The folder of the patient numbered `patient`, e.g. "DICOM/P0000001".
Result<std::string> MediaPatientFolder(std::int64_t patient);

}  // namespace pacsport
