#include "core/names.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(IsValidUidTest, AcceptsDicomUids) {
  EXPECT_TRUE(IsValidUid("1.2.840.10008.1.2.1"));
  EXPECT_TRUE(IsValidUid("0"));
  EXPECT_TRUE(IsValidUid("1.0.2"));
  EXPECT_TRUE(IsValidUid(std::string(64, '1')));
}

// Orthanc accepts these, and some radiotherapy systems and legacy CR write them.
TEST(IsValidUidTest, AcceptsNonConformantButPathSafeUids) {
  EXPECT_TRUE(IsValidUid("1.2.840.0010.5"));
  EXPECT_TRUE(IsValidUid("1.02"));
  EXPECT_TRUE(IsValidUid("00.1"));
  EXPECT_TRUE(IsValidUid("1..2"));
}

TEST(IsValidUidTest, RejectsWhatCouldBendAPath) {
  EXPECT_FALSE(IsValidUid(""));
  EXPECT_FALSE(IsValidUid(std::string(65, '1')));
  EXPECT_FALSE(IsValidUid("."));
  EXPECT_FALSE(IsValidUid(".."));
  EXPECT_FALSE(IsValidUid("..."));
  EXPECT_FALSE(IsValidUid(".1.2"));
  EXPECT_FALSE(IsValidUid("1.2."));
  EXPECT_FALSE(IsValidUid("1.2a"));
  EXPECT_FALSE(IsValidUid("../../etc"));
  EXPECT_FALSE(IsValidUid("1/2"));
  EXPECT_FALSE(IsValidUid("1\\2"));
  EXPECT_FALSE(IsValidUid(std::string("1\0002", 3)));
  EXPECT_FALSE(IsValidUid("1.2 "));
}

TEST(IsValidPatientIdTest, CountsCharactersNotBytes) {
  EXPECT_TRUE(IsValidPatientId(""));
  EXPECT_TRUE(IsValidPatientId(std::string(64, 'P')));
  EXPECT_FALSE(IsValidPatientId(std::string(65, 'P')));
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "é";
  EXPECT_TRUE(IsValidPatientId(accented));
  EXPECT_FALSE(IsValidPatientId(accented + "é"));
}

TEST(SanitizePathComponentTest, KeepsOrdinaryNames) {
  EXPECT_EQ(SanitizePathComponent("PAT-001"), "PAT-001");
  EXPECT_EQ(SanitizePathComponent("Müller 患者"), "Müller 患者");
}

TEST(SanitizePathComponentTest, NeutralisesTraversalAndSeparators) {
  EXPECT_EQ(SanitizePathComponent(".."), "unknown");
  EXPECT_EQ(SanitizePathComponent("."), "unknown");
  EXPECT_EQ(SanitizePathComponent("../../etc/passwd"), "_.._etc_passwd");
  EXPECT_EQ(SanitizePathComponent("a\\b/c"), "a_b_c");
  EXPECT_EQ(SanitizePathComponent("C:evil"), "C_evil");
  EXPECT_EQ(SanitizePathComponent(""), "unknown");
  EXPECT_EQ(SanitizePathComponent("  .hidden. "), "hidden");
}

TEST(SanitizePathComponentTest, RemovesControlsAndInvalidUtf8) {
  EXPECT_EQ(SanitizePathComponent(std::string("a\0b", 3)), "a_b");
  EXPECT_EQ(SanitizePathComponent("a\r\nb"), "a__b");
  EXPECT_EQ(SanitizePathComponent("a\xff" "b"), "a_b");
  EXPECT_EQ(SanitizePathComponent("a\xc2\x85" "b"), "a__b");  // U+0085 NEL
  EXPECT_EQ(SanitizePathComponent("\xe0\x80\xaf"), "___");     // overlong '/'
}

TEST(SanitizePathComponentTest, BoundsLengthOnCharacterBoundary) {
  std::string long_name;
  for (int i = 0; i < 100; ++i) long_name += "é";  // 2 bytes each
  const std::string out = SanitizePathComponent(long_name);
  EXPECT_EQ(out.size(), 128u);
  EXPECT_EQ(SanitizePathComponent(out), out);  // still valid UTF-8
}

TEST(ContentDispositionTest, PlainAsciiHasNoExtendedForm) {
  EXPECT_EQ(ContentDisposition("study_1.2.3_export.zip"),
            "attachment; filename=\"study_1.2.3_export.zip\"");
}

TEST(ContentDispositionTest, Utf8GetsRfc8187Form) {
  EXPECT_EQ(ContentDisposition("patient_Müller_export.zip"),
            "attachment; filename=\"patient_M__ller_export.zip\"; "
            "filename*=UTF-8''patient_M%C3%BCller_export.zip");
}

TEST(ContentDispositionTest, NoHeaderInjection) {
  const std::string value = ContentDisposition("x\"\r\nSet-Cookie: a=b;.zip");
  EXPECT_EQ(value.find('\r'), std::string::npos);
  EXPECT_EQ(value.find('\n'), std::string::npos);
  const auto quoted = value.substr(value.find('"') + 1);
  EXPECT_EQ(quoted.find('"'), quoted.find("\""));  // only the closing quote remains
  EXPECT_NE(value.find("filename*=UTF-8''"), std::string::npos);
}

}  // namespace
}  // namespace pacsport
