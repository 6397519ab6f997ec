// A disc's DICOMDIR: the profile follows the transfer syntaxes of the files it can
// list, and a file it cannot list is reported, never referenced.
#include "dicom/media_directory.h"

#include <gtest/gtest.h>

#include "dicom/test_corpus.h"

namespace pacsport::dicom {
namespace {

constexpr const char* kExplicitLittle = "1.2.840.10008.1.2.1";
constexpr const char* kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr const char* kJpeg2000 = "1.2.840.10008.1.2.4.91";
constexpr const char* kImplicitLittle = "1.2.840.10008.1.2";

TEST(MediaDirectoryTest, TheStrictestProfileThatAdmitsEveryTransferSyntax) {
  EXPECT_EQ(ChooseMediaProfile({}), MediaProfile::kGeneralPurposeCd);
  EXPECT_EQ(ChooseMediaProfile({kExplicitLittle}), MediaProfile::kGeneralPurposeCd);
  EXPECT_EQ(ChooseMediaProfile({kExplicitLittle, kJpegBaseline}),
            MediaProfile::kGeneralPurposeDvdJpeg);
  EXPECT_EQ(ChooseMediaProfile({kJpeg2000}), MediaProfile::kGeneralPurposeDvdJpeg2000);
  EXPECT_EQ(ChooseMediaProfile({kJpegBaseline, kJpeg2000}), MediaProfile::kGeneralPurposeMime);
  EXPECT_EQ(ChooseMediaProfile({kImplicitLittle}), MediaProfile::kGeneralPurposeMime);
  EXPECT_EQ(MediaProfileName(MediaProfile::kGeneralPurposeDvdJpeg), "STD-GEN-DVD-JPEG");
}

TEST(MediaDirectoryTest, ListsWhatItCanAndReportsTheRest) {
  testing::TempDir dir;
  const auto stage = [&](const char* corpus_name, const char* file_id) {
    std::filesystem::create_directories((dir.path() / file_id).parent_path());
    std::filesystem::copy_file(testing::CorpusDir() / corpus_name, dir.path() / file_id);
  };
  stage("CT_small.dcm", "DICOM/P0000001/S0000001/SE000001/IM000001");
  stage("JPEG-lossy.dcm", "DICOM/P0000001/S0000002/SE000001/IM000001");
  stage("ExplVR_LitEndNoMeta.dcm", "DICOM/P0000001/S0000003/SE000001/IM000001");
  const MediaDirectoryReport report =
      WriteMediaDirectory(dir.path(), "DICOM", "PACSPORT").ValueOrThrow();
  // The file without a meta header neither counts towards the profile nor is listed.
  EXPECT_EQ(report.profile, MediaProfile::kGeneralPurposeDvdJpeg);
  EXPECT_EQ(report.indexed, 2);
  ASSERT_EQ(report.refused.size(), 1u);
  EXPECT_EQ(report.refused[0].file_id, "DICOM/P0000001/S0000003/SE000001/IM000001");
  EXPECT_FALSE(report.refused[0].reason.empty());
  const std::string dump = testing::ShellQuote((dir.path() / "dump.txt").string());
  ASSERT_EQ(testing::Run("dcmdump -q " + testing::ShellQuote((dir.path() / "DICOMDIR").string()) +
                         " > " + dump),
            0);
  const std::string listed = testing::ReadFile(dir.path() / "dump.txt");
  EXPECT_NE(listed.find("DICOM\\P0000001\\S0000001\\SE000001\\IM000001"), std::string::npos);
  EXPECT_NE(listed.find("DICOM\\P0000001\\S0000002\\SE000001\\IM000001"), std::string::npos);
  EXPECT_EQ(listed.find("S0000003"), std::string::npos);
}

}  // namespace
}  // namespace pacsport::dicom
