#include "export/media_pages.h"

#include <algorithm>

#include "core/xml_text.h"

namespace pacsport {
namespace {

// A person name (PN) with its component separators shown as spaces.
std::string DisplayName(std::string_view name) {
  std::string shown(name);
  std::replace(shown.begin(), shown.end(), '^', ' ');
  return shown;
}

std::string OrUnknown(std::string_view value) {
  return value.empty() ? "(none)" : XmlEscape(value);
}

std::string Plural(std::int64_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

}  // namespace

std::string DisplayDate(std::string_view dicom_date) {
  const bool digits =
      dicom_date.size() == 8 && std::all_of(dicom_date.begin(), dicom_date.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::string(dicom_date);
  return std::string(dicom_date.substr(0, 4)) + "-" + std::string(dicom_date.substr(4, 2)) + "-" +
         std::string(dicom_date.substr(6, 2));
}

std::string IndexPageHead(SystemTime exported_at) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>Imaging studies</title>\n"
         "<link rel=\"stylesheet\" href=\"IHE_PDI/STYLE.CSS\">\n</head>\n<body>\n"
         "<header><h1>Imaging studies</h1>\n"
         "<p>Exported " +
         XmlEscape(Iso8601(exported_at)) +
         ". The images below are previews for orientation, not for diagnosis: open the "
         "disc with a DICOM viewer (it reads <code>DICOMDIR</code>) to see the images "
         "themselves. See <a href=\"README.TXT\">README.TXT</a>.</p></header>\n<main>\n";
}

std::string IndexPagePatient(const StudyRecord& study) {
  return "<h2 class=\"patient\">" + OrUnknown(DisplayName(study.patient_name)) +
         " <span class=\"id\">Patient ID: " + OrUnknown(study.patient_id) + "</span></h2>\n";
}

std::string IndexPageStudy(const StudyRecord& study, const MediaStudyView& view) {
  std::string html = "<section class=\"study\">\n<h3>" + OrUnknown(study.study_description) +
                     "</h3>\n<dl>\n<dt>Date</dt><dd>" + OrUnknown(DisplayDate(study.study_date)) +
                     "</dd>\n<dt>Modality</dt><dd>" + OrUnknown(study.modality) +
                     "</dd>\n<dt>Accession number</dt><dd>" + OrUnknown(study.accession_number) +
                     "</dd>\n<dt>Contents</dt><dd>" + Plural(view.series, "series", "series") +
                     ", " + Plural(view.instances, "instance", "instances") +
                     "</dd>\n<dt>Files</dt><dd><code>" + XmlEscape(view.folder) +
                     "</code></dd>\n</dl>\n";
  if (view.without_previews > 0) {
    html += "<p class=\"note\">" + Plural(view.without_previews, "instance has", "instances have") +
            " no preview (not an image, or one that cannot be rendered).</p>\n";
  }
  if (!view.previews.empty()) {
    html += "<div class=\"previews\">\n";
    for (const std::string& preview : view.previews) {
      const std::string href = XmlEscape(preview);
      html += "<a href=\"" + href + "\"><img src=\"" + href + "\" alt=\"preview\"></a>\n";
    }
    html += "</div>\n";
  }
  return html + "</section>\n";
}

std::string IndexPageTail() { return "</main>\n</body>\n</html>\n"; }

std::string_view MediaStyleSheetText() {
  return "body { font-family: sans-serif; margin: 1em 2em; color: #222; background: #fff; }\n"
         "h2.patient { border-bottom: 2px solid #246; padding-bottom: .2em; }\n"
         "h2.patient .id { font-size: .7em; font-weight: normal; color: #555; }\n"
         "section.study { margin: 1em 0 2em; }\n"
         "dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }\n"
         "dt { font-weight: bold; }\n"
         "dd { margin: 0; }\n"
         ".note { color: #744; }\n"
         ".previews { display: flex; flex-wrap: wrap; gap: 6px; }\n"
         ".previews img { max-width: 256px; max-height: 256px; background: #000; }\n";
}

std::string ReadmeText(const MediaReadme& readme) {
  std::string text =
      "MEDICAL IMAGES ON THIS DISC\r\n"
      "===========================\r\n\r\n"
      "This disc holds medical images in the DICOM format, laid out as IHE Portable\r\n"
      "Data for Imaging (PDI) asks.\r\n\r\n"
      "Contents: " +
      Plural(readme.patients, "patient", "patients") + ", " +
      Plural(readme.studies, "study", "studies") + ", " +
      Plural(readme.instances, "DICOM file", "DICOM files") +
      "\r\n"
      "Profile:  " +
      readme.profile +
      " (DICOM PS3.11 General Purpose media profile of the File-set)\r\n"
      "Exported: " +
      Iso8601(readme.exported_at) + " by " + readme.exported_by + " (" + readme.hospital +
      ") with pacsport\r\n\r\n"
      "HOW TO VIEW\r\n"
      "- INDEX.HTM: open it in any web browser to see each study and its preview\r\n"
      "  images. Nothing to install, no network needed. Previews are for orientation,\r\n"
      "  not for diagnosis.\r\n"
      "- DICOMDIR: open the disc, or the folder holding DICOMDIR, with a DICOM viewer.\r\n"
      "  It lists the DICOM files under DICOM/.\r\n\r\n"
      "FILES\r\n"
      "DICOMDIR          the DICOM directory of the File-set\r\n"
      "DICOM/            the DICOM files, as stored at the hospital (Part 10 files)\r\n"
      "INDEX.HTM         the page described above; IHE_PDI/ holds its style and images\r\n"
      "README.TXT        this file\r\n" +
      readme.metadata_name +
      "  the export's metadata (JSON)\r\n"
      "checksums.sha256  SHA-256 of every other file: sha256sum -c checksums.sha256\r\n";
  if (!readme.not_indexed.empty()) {
    text +=
        "\r\nFILES NOT LISTED IN DICOMDIR\r\n"
        "These files are on the disc but the " +
        readme.profile +
        " profile does not admit them, so\r\n"
        "DICOMDIR does not list them; a viewer can still open them directly.\r\n";
    for (const MediaFileNote& note : readme.not_indexed) {
      text += note.file_id + ": " + note.reason + "\r\n";
    }
  }
  return text;
}

}  // namespace pacsport
