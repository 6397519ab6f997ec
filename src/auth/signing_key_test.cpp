// SigningKey and PublicKey: signatures verify and changes do not; the key file is
// created once, private; public keys parse in both published forms and nothing else.
#include "auth/signing_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "tests/support/temp_dir.h"

namespace pacsport::auth {
namespace {

namespace fs = std::filesystem;

SigningKey NewKey(const testing::TempDir& dir, const std::string& name = "key") {
  return SigningKey::LoadOrCreate(dir.path() / name).ValueOrThrow();
}

TEST(SigningKeyTest, SignatureVerifiesAndChangesDoNot) {
  testing::TempDir dir;
  const SigningKey key = NewKey(dir);
  const std::string signature = key.Sign("the message");
  EXPECT_TRUE(key.public_key().Verify("the message", signature));
  EXPECT_FALSE(key.public_key().Verify("the message ", signature));
  EXPECT_FALSE(key.public_key().Verify("the messagf", signature));
  std::string altered = signature;
  altered[5] = altered[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(key.public_key().Verify("the message", altered));
  EXPECT_FALSE(key.public_key().Verify("the message", "not base64!"));
  EXPECT_FALSE(key.public_key().Verify("the message", ""));
  const SigningKey other = NewKey(dir, "other");
  EXPECT_FALSE(other.public_key().Verify("the message", signature));
}

TEST(SigningKeyTest, KeyIdIsSixteenHexDigitsOfThePublicKey) {
  testing::TempDir dir;
  const SigningKey key = NewKey(dir);
  EXPECT_EQ(key.key_id().size(), 16u);
  EXPECT_EQ(key.key_id().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key.key_id(), key.public_key().id());
  EXPECT_EQ(key.public_key_base64(), key.public_key().Base64());
  EXPECT_NE(key.key_id(), NewKey(dir, "other").key_id());
}

TEST(SigningKeyTest, LoadOrCreateCreatesAPrivateFileOnceAndLoadsItAfter) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "audit-signing-key";
  const std::string first = SigningKey::LoadOrCreate(path).ValueOrThrow().key_id();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string text = testing::ReadFile(path);
  EXPECT_TRUE(text.starts_with("ed25519 ")) << text;
  EXPECT_EQ(SigningKey::LoadOrCreate(path).ValueOrThrow().key_id(), first);
  EXPECT_EQ(SigningKey::Load(path).ValueOrThrow().key_id(), first);
  EXPECT_EQ(testing::ReadFile(path), text) << "loading rewrote the key";
  // Nothing but the key is left in the directory (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(SigningKeyTest, LoadRefusesWhatIsNotAKey) {
  testing::TempDir dir;
  EXPECT_EQ(SigningKey::Load(dir.path() / "absent").error().code(), ErrorCode::kUnavailable);
  for (const std::string content :
       {"", "ed25519 \n", "ed25519 AAAA\n", "rsa AAAA\n", "ed25519 not*base64\n"}) {
    std::ofstream(dir.path() / "bad", std::ios::trunc) << content;
    EXPECT_EQ(SigningKey::Load(dir.path() / "bad").error().code(), ErrorCode::kInvalidInput)
        << content;
    EXPECT_EQ(SigningKey::LoadOrCreate(dir.path() / "bad").error().code(), ErrorCode::kInvalidInput)
        << content;
  }
}

TEST(SigningKeyTest, PublicKeyParsesBase64AndThePublishedDocument) {
  testing::TempDir dir;
  const SigningKey key = NewKey(dir);
  const std::string base64 = key.public_key().Base64();
  const std::string signature = key.Sign("m");
  for (const std::string& text :
       std::vector<std::string>{base64, base64 + "\n", "  " + base64 + " \r\n",
                                R"({"algorithm":"Ed25519","keyId":")" + key.key_id() +
                                    R"(","publicKey":")" + base64 + R"("})"}) {
    auto parsed = PublicKey::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(parsed->id(), key.key_id());
    EXPECT_TRUE(parsed->Verify("m", signature));
  }
  std::ofstream(dir.path() / "public.json") << R"({"publicKey": ")" << base64 << "\"}\n";
  EXPECT_EQ(PublicKey::ReadFile(dir.path() / "public.json").ValueOrThrow().id(), key.key_id());
}

TEST(SigningKeyTest, PublicKeyRejectsGarbage) {
  for (const std::string& text : std::vector<std::string>{
           "", "hello", "AAAA", "{}", R"({"publicKey": 3})", R"({"publicKey": "AAAA"})",
           "{not json", "[\"" + Base64Encode(std::string(32, 'k')) + "\"]",
           Base64Encode(std::string(31, 'k')), Base64Encode(std::string(33, 'k'))}) {
    EXPECT_EQ(PublicKey::Parse(text).error().code(), ErrorCode::kInvalidInput) << text;
  }
  testing::TempDir dir;
  EXPECT_EQ(PublicKey::ReadFile(dir.path() / "absent").error().code(), ErrorCode::kUnavailable);
}

TEST(SigningKeyTest, Base64RoundTripsAndRejectsUnpadded) {
  const std::string bytes("\x00\xff\x10 binary", 9);
  EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_FALSE(Base64Decode("YWI"));
  EXPECT_FALSE(Base64Decode("YW-="));
}

}  // namespace
}  // namespace pacsport::auth
