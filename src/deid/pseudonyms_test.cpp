#include "deid/pseudonyms.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "deid/project_keys.h"
#include "tests/support/temp_dir.h"

namespace pacsport::deid {
namespace {

ProjectKeys TestKeys() {
  return *ProjectKeys::FromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

TEST(PseudonymsTest, SameOriginalSamePseudonymWithinAProject) {
  const Pseudonyms a(TestKeys().For("Hospital A", "lung-study"));
  const Pseudonyms again(TestKeys().For("Hospital A", "lung-study"));
  EXPECT_EQ(a.PatientId("PAT-1"), again.PatientId("PAT-1"));
  EXPECT_EQ(a.Uid("1.2.3.4"), again.Uid("1.2.3.4"));
  EXPECT_EQ(a.DateShiftDays("PAT-1"), again.DateShiftDays("PAT-1"));
  EXPECT_NE(a.PatientId("PAT-1"), a.PatientId("PAT-2"));
  EXPECT_NE(a.Uid("1.2.3.4"), a.Uid("1.2.3.5"));
}

TEST(PseudonymsTest, NothingLinksAcrossProjectsOrHospitals) {
  const ProjectKeys keys = TestKeys();
  const Pseudonyms lung(keys.For("Hospital A", "lung-study"));
  const Pseudonyms heart(keys.For("Hospital A", "heart-study"));
  const Pseudonyms other_hospital(keys.For("Hospital B", "lung-study"));
  EXPECT_NE(lung.PatientId("PAT-1"), heart.PatientId("PAT-1"));
  EXPECT_NE(lung.PatientId("PAT-1"), other_hospital.PatientId("PAT-1"));
  EXPECT_NE(lung.Uid("1.2.3"), heart.Uid("1.2.3"));
  EXPECT_NE(lung.Uid("1.2.3"), other_hospital.Uid("1.2.3"));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(keys.For("ab", "c"), keys.For("a", "bc"));
  // Another server secret: other pseudonyms.
  const auto other = ProjectKeys::FromHex(std::string(64, 'f'));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(Pseudonyms(other->For("Hospital A", "lung-study")).PatientId("PAT-1"),
            lung.PatientId("PAT-1"));
}

TEST(PseudonymsTest, FormatsAreValidDicom) {
  const Pseudonyms pseudonyms(TestKeys().For("H", "p"));
  for (int i = 0; i < 200; ++i) {
    const std::string uid = pseudonyms.Uid("1.2.840." + std::to_string(i));
    ASSERT_EQ(uid.rfind("2.25.", 0), 0u) << uid;
    ASSERT_LE(uid.size(), 64u);
    const std::string digits = uid.substr(5);
    ASSERT_TRUE(std::all_of(digits.begin(), digits.end(), ::isdigit)) << uid;
    ASSERT_NE(digits[0], '0') << uid;  // no leading zero (PS3.5 9.1)
    const std::string id = pseudonyms.PatientId(std::to_string(i));
    ASSERT_EQ(id.size(), 21u);
    ASSERT_EQ(id.rfind("ANON-", 0), 0u);
    ASSERT_TRUE(std::all_of(id.begin() + 5, id.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
    })) << id;
    const int days = pseudonyms.DateShiftDays(std::to_string(i));
    ASSERT_GE(days, 1);
    ASSERT_LE(days, 3650);
  }
}

TEST(ProjectKeysTest, KeyFileIsMadeOnceAndKept) {
  testing::TempDir dir;
  const auto path = dir.path() / "deidentify-key";
  auto made = ProjectKeys::LoadOrCreate(path);
  ASSERT_TRUE(made.ok()) << made.error().message();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = ProjectKeys::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(made->For("H", "p"), again->For("H", "p"));
  testing::TempDir other_dir;
  auto other = ProjectKeys::LoadOrCreate(other_dir.path() / "deidentify-key");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(made->For("H", "p"), other->For("H", "p"));  // a new random secret
}

TEST(ProjectKeysTest, MalformedKeysAreRefused) {
  EXPECT_EQ(ProjectKeys::FromHex("abc").error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(ProjectKeys::FromHex(std::string(64, 'g')).error().code(), ErrorCode::kInvalidInput);
  testing::TempDir dir;
  std::ofstream(dir.path() / "key") << "secretbox AAAA\n";
  EXPECT_EQ(ProjectKeys::LoadOrCreate(dir.path() / "key").error().code(), ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace pacsport::deid
