#include "deid/profile_table.h"

#include <gtest/gtest.h>

#include "deid/burned_in_text.h"
#include "deid/private_tags.h"

namespace pacsport::deid {
namespace {

DeidentifyRequest With(std::initializer_list<Option> options) {
  DeidentifyRequest request;
  request.project = "p";
  request.options = options;
  return request;
}

TEST(ProfileTableTest, HoldsEveryRowOfTableE11) {
  // 621 rows in the source, less "Private Attributes" (private_tags.h).
  EXPECT_EQ(ProfileRowCount(), 620u);
}

TEST(ProfileTableTest, BasicProfileActions) {
  const DeidentifyRequest basic = With({});
  EXPECT_EQ(ActionFor(0x0010, 0x0010, basic), Action::kEmpty);   // Patient's Name: Z
  EXPECT_EQ(ActionFor(0x0010, 0x0030, basic), Action::kEmpty);   // Birth Date: Z
  EXPECT_EQ(ActionFor(0x0010, 0x1000, basic), Action::kRemove);  // Other Patient IDs: X
  EXPECT_EQ(ActionFor(0x0008, 0x0018, basic), Action::kNewUid);  // SOP Instance UID: U
  EXPECT_EQ(ActionFor(0x0008, 0x0080, basic), Action::kDummy);   // Institution Name: X/Z/D
  EXPECT_EQ(ActionFor(0x0008, 0x0023, basic), Action::kDummy);   // Content Date: Z/D
  EXPECT_EQ(ActionFor(0x0008, 0x0022, basic), Action::kEmpty);   // Acquisition Date: X/Z
  EXPECT_EQ(ActionFor(0x0018, 0x11BB, basic), Action::kDummy);   // Acq. FOV Label: D
  EXPECT_EQ(ActionFor(0x0008, 0x1155, basic), Action::kNewUid);  // Ref. SOP Instance UID
  EXPECT_EQ(ActionFor(0x0008, 0x1030, basic), Action::kRemove);  // Study Description: X
  EXPECT_EQ(ActionFor(0x0028, 0x0010, basic), std::nullopt);     // Rows: not listed, kept
  // Repeating groups: curves and overlay data in any 50xx / 60xx group.
  EXPECT_EQ(ActionFor(0x5002, 0x3000, basic), Action::kRemove);
  EXPECT_EQ(ActionFor(0x6006, 0x3000, basic), Action::kRemove);
  EXPECT_EQ(ActionFor(0x6000, 0x0010, basic), std::nullopt);  // overlay rows: kept
}

TEST(ProfileTableTest, OptionsReplaceTheBasicAction) {
  EXPECT_EQ(ActionFor(0x0008, 0x0018, With({Option::kRetainUids})), Action::kKeep);
  EXPECT_EQ(ActionFor(0x0008, 0x0020, With({})), Action::kEmpty);  // Study Date
  EXPECT_EQ(ActionFor(0x0008, 0x0020, With({Option::kRetainLongitudinalModifiedDates})),
            Action::kClean);
  EXPECT_EQ(ActionFor(0x0018, 0x1000, With({})), Action::kDummy);  // Device Serial Number
  EXPECT_EQ(ActionFor(0x0018, 0x1000, With({Option::kRetainDeviceIdentity})), Action::kKeep);
  EXPECT_EQ(ActionFor(0x0010, 0x0040, With({})), Action::kEmpty);  // Patient's Sex
  EXPECT_EQ(ActionFor(0x0010, 0x0040, With({Option::kRetainPatientCharacteristics})),
            Action::kKeep);
  EXPECT_EQ(ActionFor(0x0008, 0x1030, With({Option::kCleanDescriptors})), Action::kClean);
  // An option that does not concern the attribute leaves the basic action.
  EXPECT_EQ(ActionFor(0x0010, 0x0010, With({Option::kRetainUids, Option::kCleanDescriptors})),
            Action::kEmpty);
}

TEST(PrivateTagsTest, OnlyTheSafeListIsKept) {
  EXPECT_TRUE(IsSafePrivate("SIEMENS MR HEADER", 0x0019, 0x100C));
  EXPECT_TRUE(IsSafePrivate("SIEMENS MR HEADER", 0x0019, 0x110C));  // any block
  EXPECT_FALSE(IsSafePrivate("SIEMENS MR HEADER", 0x0019, 0x1010));
  EXPECT_FALSE(IsSafePrivate("ACME", 0x0019, 0x100C));
  EXPECT_TRUE(IsSafeCreator("GEMS_PARM_01", 0x0043));
  EXPECT_FALSE(IsSafeCreator("GEMS_PARM_01", 0x0045));
}

TEST(BurnedInTextTest, FlaggedImagesAndTextBearingModalities) {
  EXPECT_TRUE(BurnedInTextReason("YES", "CT").has_value());
  EXPECT_TRUE(BurnedInTextReason("", "US").has_value());
  EXPECT_TRUE(BurnedInTextReason("NO", "SC").has_value());
  EXPECT_FALSE(BurnedInTextReason("NO", "CT").has_value());
  EXPECT_FALSE(BurnedInTextReason("", "MR").has_value());
}

TEST(DeidentifyRequestTest, InvalidPartsAreNamed) {
  EXPECT_NE(MakeRequest("full", "p", {}, IncludeBurnedIn::kNo).error().message().find("profile"),
            std::string::npos);
  EXPECT_NE(MakeRequest("basic", "", {}, IncludeBurnedIn::kNo).error().message().find("project"),
            std::string::npos);
  EXPECT_NE(MakeRequest("basic", "a/b", {}, IncludeBurnedIn::kNo).error().message().find("project"),
            std::string::npos);
  EXPECT_NE(MakeRequest("basic", "p", {"retain-everything"}, IncludeBurnedIn::kNo)
                .error()
                .message()
                .find("retain-everything"),
            std::string::npos);
  auto request =
      MakeRequest("basic", "p", {"retain-uids", "clean-descriptors"}, IncludeBurnedIn::kYes);
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->Has(Option::kRetainUids));
  const auto codes = MethodCodes(*request);
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes[0].value, "113100");
  EXPECT_EQ(codes[1].value, "113110");
  EXPECT_EQ(codes[2].value, "113105");
  EXPECT_LE(MethodDescription(*request).size(), 64u);
}

}  // namespace
}  // namespace pacsport::deid
