#include "zip/portable_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "zip/entry_name.h"

namespace pacsport::zip {
namespace {

TEST(PortableFolderNameTest, PrefixesWindowsDeviceNames) {
  EXPECT_EQ(PortableFolderName("CON"), "_CON");
  EXPECT_EQ(PortableFolderName("nul"), "_nul");
  EXPECT_EQ(PortableFolderName("LPT1.txt"), "_LPT1.txt");
  EXPECT_EQ(PortableFolderName("con.dcm"), "_con.dcm");
  EXPECT_EQ(PortableFolderName("COM9 "), "_COM9");  // the trailing space goes first
  EXPECT_EQ(PortableFolderName("CONSOLE"), "CONSOLE");
  EXPECT_EQ(PortableFolderName("P-123"), "P-123");
}

TEST(PortableFolderNameTest, RenamesDotsAndTrailingDotsAndSpaces) {
  EXPECT_EQ(PortableFolderName("."), "unknown");
  EXPECT_EQ(PortableFolderName(".."), "unknown");
  EXPECT_EQ(PortableFolderName("..."), "unknown");
  EXPECT_EQ(PortableFolderName("abc."), "abc");
  EXPECT_EQ(PortableFolderName("abc . "), "abc");
  EXPECT_EQ(PortableFolderName("1.2.3."), "1.2.3");
}

TEST(PortableFolderNameTest, EveryNameIsAPortableEntryComponent) {
  const std::vector<std::string> ids = {"CON",         "aux.", "..",        " ",       "",    "a/b",
                                        "LPT\xC2\xB9", "x:y",  "COM1 .txt", "Ünïcødé", "\xFF"};
  for (const std::string& id : ids) {
    const std::string name = PortableFolderName(id);
    EXPECT_TRUE(IsPortableComponent(name)) << name;
    EXPECT_TRUE(CheckEntryName("patients/" + name + "/1.dcm").ok()) << name;
  }
}

TEST(FolderNamesTest, IdsDifferingOnlyByCaseGetDistinctFolders) {
  FolderNames names;
  EXPECT_EQ(names.Take("ab"), "ab");
  EXPECT_EQ(names.Take("AB"), "AB_2");
  EXPECT_EQ(names.Take("Ab"), "Ab_3");
  EXPECT_EQ(names.Take("ab_2"), "ab_2_2");  // "AB_2" is taken, in any case
  EXPECT_EQ(names.Take("other"), "other");
}

TEST(FolderNamesTest, IdsThatSanitizeAlikeGetDistinctFolders) {
  FolderNames names;
  EXPECT_EQ(names.Take("A/B"), "A_B");
  EXPECT_EQ(names.Take("A_B"), "A_B_2");
  EXPECT_EQ(names.Take("."), "unknown");
  EXPECT_EQ(names.Take(".."), "unknown_2");
  EXPECT_EQ(names.Take("..."), "unknown_3");
  EXPECT_EQ(names.Take("CON"), "_CON");
  EXPECT_EQ(names.Take("_con"), "_con_2");
  EXPECT_EQ(names.Take("con."), "_con_3");
}

TEST(FolderNamesTest, EachParentFolderHasItsOwnNames) {
  FolderNames first, second;
  EXPECT_EQ(first.Take("x"), "x");
  EXPECT_EQ(second.Take("X"), "X");
}

}  // namespace
}  // namespace pacsport::zip
