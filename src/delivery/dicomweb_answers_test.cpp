// STOW-RS and QIDO-RS answers as Debian's Orthanc with its DICOMweb plugin 1.7 really
// gives them (captured byte for byte: testdata/orthanc_dicomweb_1.7/README.md).
#include "delivery/dicomweb_answers.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace pacsport::delivery {
namespace {

std::string Captured(const std::string& name) {
  const char* root = std::getenv("PACSPORT_SOURCE_DIR");
  std::ifstream in(
      std::string(root ? root : ".") + "/src/delivery/testdata/orthanc_dicomweb_1.7/" + name,
      std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kCtSmall = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";
const std::string kRtPlan = "1.2.777.777.77.7.7777.7777.20030903150023";
const std::string kRtDose = "1.9.999.999.99.9.9999.9999.20030818153516";
const std::string kEcg = "1.3.6.1.4.1.20029.40.20130125105919.5407.1.1";
const std::string kMrSmall = "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457";

using Stored = std::map<std::string, std::string>;

TEST(StowAnswer, StoredInstancesAreTheReferencedSopSequence) {
  const auto answer = ParseStowAnswer(Captured("stow_200_stored.json"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->stored, (Stored{{kCtSmall, ""}, {kRtPlan, ""}}));
  EXPECT_TRUE(answer->failed.empty());
}

TEST(StowAnswer, RefusedInstancesCarryTheirFailureReasonInHex) {
  const auto answer = ParseStowAnswer(Captured("stow_409_other_study.json"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->stored.empty());
  EXPECT_EQ(answer->failed, (Stored{{kCtSmall, "0110H"}, {kRtDose, "0110H"}}));
}

TEST(StowAnswer, AnInstanceThePluginStoppedAtIsListedNowhere) {
  const auto answer = ParseStowAnswer(Captured("stow_200_lua_error.json"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->stored, (Stored{{kEcg, ""}}));
  EXPECT_TRUE(answer->failed.empty());
}

TEST(StowAnswer, AFilteredOutInstanceIsListedAsStored) {
  // Why the sender asks the peer afterwards what it holds (stow_sender.cpp, Verify).
  const auto answer = ParseStowAnswer(Captured("stow_200_filtered_out.json"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->stored.contains(kMrSmall));
}

TEST(StowAnswer, ABadRequestListsNothing) {
  const auto answer = ParseStowAnswer(Captured("stow_400_not_dicom.json"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->stored.empty());
  EXPECT_TRUE(answer->failed.empty());
}

TEST(StowAnswer, WarningsAndReasonsWithoutValuesAndBodiesThatAreNotDicomJson) {
  const auto answer = ParseStowAnswer(R"({
    "00081199": {"vr": "SQ", "Value": [
      {"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081196": {"vr": "US", "Value": [45062]}},
      {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]}}]},
    "00081198": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.4"]}},
      {"00081155": {"vr": "UI", "Value": ["1.2.5"]}, "00081197": {"vr": "US", "Value": [43264]}}]}})");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->stored, (Stored{{"1.2.3", "B006H"}}));
  EXPECT_EQ(answer->failed, (Stored{{"1.2.4", "no failure reason given"}, {"1.2.5", "A900H"}}));
  for (const char* bad : {"", "<NativeDicomModel/>", "[]", "{\"00081199\": "}) {
    EXPECT_FALSE(ParseStowAnswer(bad).has_value()) << bad;
  }
}

TEST(QidoAnswer, SopInstanceUidsOfEveryMatch) {
  EXPECT_EQ(ParseQidoSopInstanceUids(Captured("qido_study_instances.json")),
            std::vector<std::string>{kRtPlan});
  EXPECT_EQ(ParseQidoSopInstanceUids(Captured("qido_no_match.json")), std::vector<std::string>{});
  EXPECT_EQ(ParseQidoSopInstanceUids(""), std::vector<std::string>{});  // 204 No Content
  EXPECT_FALSE(ParseQidoSopInstanceUids("{}").has_value());
  EXPECT_FALSE(ParseQidoSopInstanceUids("<html>").has_value());
}

TEST(StatusCode, FourHexDigitsAndH) {
  EXPECT_EQ(StatusCode(272), "0110H");
  EXPECT_EQ(StatusCode(0xA700), "A700H");
  EXPECT_EQ(StatusCode(0), "0000H");
}

}  // namespace
}  // namespace pacsport::delivery
