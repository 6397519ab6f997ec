// The files of a patient's disc meant for people (IHE PDI): INDEX.HTM, which shows
// each study and its previews in any browser opened on the disc or the extracted
// archive (plain HTML and CSS, relative links, no script, no server), its style
// sheet, and README.TXT, which says what the disc holds and how to open it.
//
// Every value taken from the data (patient names, descriptions: untrusted DICOM
// strings) is escaped for HTML (core/xml_text.h: markup characters become references,
// control characters and ill-formed UTF-8 become U+FFFD). README.TXT names no patient.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/records.h"

namespace pacsport {

inline constexpr std::string_view kMediaIndexPage = "INDEX.HTM";
inline constexpr std::string_view kMediaStyleSheet = "IHE_PDI/STYLE.CSS";
inline constexpr std::string_view kMediaReadme = "README.TXT";

// One study as the page shows it.
struct MediaStudyView {
  std::string folder;                 // its DICOM files' folder, e.g. "DICOM/P0000001/S0000001"
  std::int64_t series = 0;            // on the disc
  std::int64_t instances = 0;         // on the disc
  std::int64_t without_previews = 0;  // instances with no preview (previewError)
  std::vector<std::string> previews;  // entry names of its PNG previews, in frame order
};

// The page's beginning, up to its first patient.
std::string IndexPageHead(SystemTime exported_at);
// A patient's heading, from the patient block of one of their studies.
std::string IndexPagePatient(const StudyRecord& study);
// One study: description, date, modalities, series and instance counts, previews.
std::string IndexPageStudy(const StudyRecord& study, const MediaStudyView& view);
// The page's end.
std::string IndexPageTail();
// The style sheet's text (kMediaStyleSheet).
std::string_view MediaStyleSheetText();

// A file left out of the DICOMDIR, and why.
struct MediaFileNote {
  std::string file_id;
  std::string reason;
};

struct MediaReadme {
  SystemTime exported_at;
  std::string exported_by;  // the user
  std::string hospital;     // the user's hospital
  std::int64_t patients = 0;
  std::int64_t studies = 0;
  std::int64_t instances = 0;
  std::string profile;  // e.g. "STD-GEN-CD"
  std::string metadata_name;
  std::vector<MediaFileNote> not_indexed;
};

std::string ReadmeText(const MediaReadme& readme);

// A DICOM date (YYYYMMDD) as YYYY-MM-DD; anything else as it is.
std::string DisplayDate(std::string_view dicom_date);

}  // namespace pacsport
