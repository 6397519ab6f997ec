// The pages of a disc: untrusted DICOM strings are escaped, counts and links shown.
#include "export/media_pages.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

StudyRecord HostileStudy() {
  StudyRecord study;
  study.patient_id = "P<1>";
  study.patient_name = "DOE^<script>alert(1)</script>";
  study.study_description = "<img src=x onerror=\"alert('x')\"> & co";
  study.study_date = "20240131";
  study.modality = "CT\\SR";
  study.accession_number = "A\x01";
  return study;
}

TEST(MediaPagesTest, EveryValueFromTheDataIsEscaped) {
  const StudyRecord study = HostileStudy();
  MediaStudyView view;
  view.folder = "DICOM/P0000001/S0000001";
  const std::string html = IndexPagePatient(study) + IndexPageStudy(study, view);
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img src=x"), std::string::npos) << html;
  EXPECT_NE(html.find("DOE &lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;img src=x onerror="), std::string::npos) << html;
  EXPECT_NE(html.find("&amp; co"), std::string::npos) << html;
  EXPECT_NE(html.find("P&lt;1&gt;"), std::string::npos) << html;
  EXPECT_EQ(html.find('\x01'), std::string::npos) << "a control character is replaced";
  EXPECT_NE(html.find("2024-01-31"), std::string::npos);
}

TEST(MediaPagesTest, AStudyShowsItsCountsAndPreviewsByRelativeLinks) {
  StudyRecord study;
  study.study_description = "Chest";
  MediaStudyView view;
  view.folder = "DICOM/P0000001/S0000002";
  view.series = 2;
  view.instances = 3;
  view.without_previews = 1;
  view.previews = {"IHE_PDI/P0000001/S0000002/F0000000.PNG",
                   "IHE_PDI/P0000001/S0000002/F0000001.PNG"};
  const std::string html = IndexPageStudy(study, view);
  EXPECT_NE(html.find("2 series, 3 instances"), std::string::npos) << html;
  EXPECT_NE(html.find("1 instance has no preview"), std::string::npos) << html;
  EXPECT_NE(html.find("<img src=\"IHE_PDI/P0000001/S0000002/F0000001.PNG\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  const std::string page = IndexPageHead(SystemTime()) + html + IndexPageTail();
  EXPECT_NE(page.find("href=\"IHE_PDI/STYLE.CSS\""), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos) << "nothing outside the disc";
}

TEST(MediaPagesTest, TheReadmeNamesNoPatientAndListsFilesLeftOutOfTheDicomdir) {
  MediaReadme readme;
  readme.exported_by = "alice";
  readme.hospital = "General";
  readme.patients = 1;
  readme.studies = 2;
  readme.instances = 5;
  readme.profile = "STD-GEN-CD";
  readme.metadata_name = "patient_data.json";
  EXPECT_EQ(ReadmeText(readme).find("NOT LISTED"), std::string::npos);
  readme.not_indexed.push_back({"DICOM/P0000001/S0000001/SE000001/IM000002", "no meta header"});
  const std::string text = ReadmeText(readme);
  EXPECT_NE(text.find("1 patient, 2 studies, 5 DICOM files"), std::string::npos) << text;
  EXPECT_NE(text.find("STD-GEN-CD"), std::string::npos);
  EXPECT_NE(text.find("by alice (General)"), std::string::npos);
  EXPECT_NE(text.find("DICOM/P0000001/S0000001/SE000001/IM000002: no meta header"),
            std::string::npos);
}

TEST(MediaPagesTest, OnlyAnEightDigitDateIsReformatted) {
  EXPECT_EQ(DisplayDate("20240131"), "2024-01-31");
  EXPECT_EQ(DisplayDate("2024"), "2024");
  EXPECT_EQ(DisplayDate(""), "");
}

}  // namespace
}  // namespace pacsport
