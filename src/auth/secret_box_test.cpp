#include "auth/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace pacsport::auth {
namespace {

constexpr std::string_view kKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";  // 32 bytes

TEST(SecretBoxTest, OpensWhatItSealedUnderTheSameContext) {
  const auto box = SecretBox::FromBase64(kKey);
  ASSERT_TRUE(box.ok());
  const std::string sealed = box->Seal(R"({"secretAccessKey":"wJalr"})", "hospital 1");
  EXPECT_TRUE(sealed.starts_with("sb1:"));
  EXPECT_EQ(sealed.find("wJalr"), std::string::npos);
  const auto opened = box->Open(sealed, "hospital 1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, R"({"secretAccessKey":"wJalr"})");
  EXPECT_NE(box->Seal("same", "c"), box->Seal("same", "c"));  // a fresh nonce each time
}

TEST(SecretBoxTest, RefusesAnotherContextKeyOrAnAlteredSeal) {
  const auto box = SecretBox::FromBase64(kKey);
  const auto other = SecretBox::FromBase64("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=");
  ASSERT_TRUE(box.ok() && other.ok());
  const std::string sealed = box->Seal("secret", "hospital 1");
  EXPECT_FALSE(box->Open(sealed, "hospital 2").ok());
  EXPECT_FALSE(other->Open(sealed, "hospital 1").ok());
  std::string altered = sealed;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box->Open(altered, "hospital 1").ok());
  EXPECT_FALSE(box->Open("secret", "hospital 1").ok());
}

TEST(SecretBoxTest, RefusesAKeyOfTheWrongSize) {
  EXPECT_FALSE(SecretBox::FromBase64("c2hvcnQ=").ok());
  EXPECT_FALSE(SecretBox::FromBase64("not base64!").ok());
}

TEST(SecretBoxTest, CreatesItsKeyFileOnceAndPrivately) {
  testing::TempDir dir;
  const auto path = dir.path() / "secrets-key";
  const auto first = SecretBox::LoadOrCreate(path);
  ASSERT_TRUE(first.ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto second = SecretBox::LoadOrCreate(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second->Open(first->Seal("x", "c"), "c"), "x");
}

}  // namespace
}  // namespace pacsport::auth
