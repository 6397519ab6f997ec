// The File IDs of a disc: conformant components, numbered in order, series by UID.
#include "export/media_names.h"

#include <gtest/gtest.h>

#include <regex>

namespace pacsport {
namespace {

// PS3.10 8.2: components of 1-8 characters of A-Z, 0-9 and _, '/'-joined here.
bool IsConformantFileId(const std::string& id) {
  static const std::regex kFileId("[A-Z0-9_]{1,8}(/[A-Z0-9_]{1,8}){0,7}");
  return std::regex_match(id, kFileId);
}

TEST(MediaNamesTest, ComponentsArePaddedToEightCharacters) {
  EXPECT_EQ(*MediaComponent("P", 1), "P0000001");
  EXPECT_EQ(*MediaComponent("SE", 12), "SE000012");
  EXPECT_EQ(*MediaComponent("IM", 999999), "IM999999");
  EXPECT_EQ(*MediaComponent("F", 0), "F0000000");
}

TEST(MediaNamesTest, ANumberThatDoesNotFitIsRefused) {
  const auto too_many = MediaComponent("IM", 1000000);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(MediaStudyNames::Make(1, 10000000).ok());
  EXPECT_FALSE(MediaPatientFolder(10000000).ok());
}

TEST(MediaNamesTest, InstancesAreFiledBySeriesInTheOrderTheSeriesAppear) {
  auto names = MediaStudyNames::Make(2, 3);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->folder(), "DICOM/P0000002/S0000003");
  EXPECT_EQ(names->preview_directory(), "IHE_PDI/P0000002/S0000003/");
  // Series interleaved in export order (two series with one Series Number) keep
  // their own folders and counts.
  EXPECT_EQ(*names->NextInstance("1.2.9"), "DICOM/P0000002/S0000003/SE000001/IM000001");
  EXPECT_EQ(*names->NextInstance("1.2.5"), "DICOM/P0000002/S0000003/SE000002/IM000001");
  EXPECT_EQ(*names->NextInstance("1.2.9"), "DICOM/P0000002/S0000003/SE000001/IM000002");
  EXPECT_EQ(*names->NextInstance("1.2.5"), "DICOM/P0000002/S0000003/SE000002/IM000002");
  EXPECT_EQ(*MediaPatientFolder(2), "DICOM/P0000002");
  EXPECT_EQ(*MediaPreviewName(41), "F0000041.PNG");
}

TEST(MediaNamesTest, EveryNameIsAConformantFileId) {
  auto names = MediaStudyNames::Make(9999999, 9999999);
  ASSERT_TRUE(names.ok());
  for (int i = 0; i < 50; ++i) {
    const auto id = names->NextInstance("1.2." + std::to_string(i % 7));
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(IsConformantFileId(*id)) << *id;
  }
  EXPECT_TRUE(IsConformantFileId(names->folder()));
}

}  // namespace
}  // namespace pacsport
