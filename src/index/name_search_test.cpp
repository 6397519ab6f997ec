#include "index/name_search.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(NameSearchTest, FoldsCaseAndLatinAccents) {
  EXPECT_EQ(FoldForSearch("Doé^PETER"), "doe^peter");
  EXPECT_EQ(FoldForSearch("Müller-Łukasz Straße Æsir"), "muller-lukasz strasse aesir");
  EXPECT_EQ(FoldForSearch("ÀÿŽſ"), "ayzs");
}

TEST(NameSearchTest, KeepsWhatItDoesNotFold) {
  EXPECT_EQ(FoldForSearch("2×3÷"), "2×3÷");
  EXPECT_EQ(FoldForSearch("山田^太郎"), "山田^太郎");
  EXPECT_EQ(FoldForSearch("a\xC3"), "a\xC3");  // a truncated sequence
}

TEST(NameSearchTest, SplitsAtNameSeparatorsCommasAndSpaces) {
  EXPECT_EQ(SearchWords("Doe, Peter"), (std::vector<std::string>{"Doe", "Peter"}));
  EXPECT_EQ(SearchWords(" Peter  Doe "), (std::vector<std::string>{"Peter", "Doe"}));
  EXPECT_EQ(SearchWords("Yamada^Tarou=山田^太郎"),
            (std::vector<std::string>{"Yamada", "Tarou", "山田", "太郎"}));
  EXPECT_TRUE(SearchWords("^^, ").empty());
}

TEST(NameSearchTest, KeysANameByItsFoldedWords) {
  EXPECT_EQ(NameSearchKey("Doé^Peter^^Dr."), "doe peter dr.");
  EXPECT_EQ(NameSearchKey("DOE^PETER"), "doe peter");
  EXPECT_EQ(NameSearchKey(""), "");
}

}  // namespace
}  // namespace pacsport
