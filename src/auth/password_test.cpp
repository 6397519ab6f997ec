#include "auth/password.h"

#include <gtest/gtest.h>

namespace pacsport::auth {
namespace {

TEST(PasswordTest, HashIsArgon2idWithInteractiveCost) {
  const std::string hash = HashPassword("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$")) << hash;
  EXPECT_NE(hash.find("$m=65536,t=2,p=1$"), std::string::npos) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery staple"));
}

TEST(PasswordTest, RejectsWrongPassword) {
  const std::string hash = HashPassword("s3cret");
  EXPECT_FALSE(VerifyPassword(hash, "s3cret "));
  EXPECT_FALSE(VerifyPassword(hash, "S3cret"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
  EXPECT_TRUE(VerifyPassword(hash, "s3cret"));
}

TEST(PasswordTest, SaltsEveryHash) {
  const std::string first = HashPassword("same");
  const std::string second = HashPassword("same");
  EXPECT_NE(first, second);
  EXPECT_TRUE(VerifyPassword(first, "same"));
  EXPECT_TRUE(VerifyPassword(second, "same"));
}

TEST(PasswordTest, HandlesArbitraryBytes) {
  const std::string password("p\0ss\xc3\xa9\xff", 7);
  const std::string hash = HashPassword(password);
  EXPECT_TRUE(VerifyPassword(hash, password));
  EXPECT_FALSE(VerifyPassword(hash, "p"));  // the bytes after the NUL count
  const std::string empty_hash = HashPassword("");
  EXPECT_TRUE(VerifyPassword(empty_hash, ""));
  EXPECT_FALSE(VerifyPassword(empty_hash, "x"));
}

TEST(PasswordTest, RejectsGarbageAndForeignHashes) {
  const std::string hash = HashPassword("pw");
  std::string truncated = hash.substr(0, hash.size() - 5);
  std::string corrupted = hash;
  corrupted[corrupted.size() - 3] = corrupted[corrupted.size() - 3] == 'A' ? 'B' : 'A';
  std::string with_nul = hash;
  with_nul.insert(with_nul.begin() + 12, '\0');
  // The same string relabelled as Argon2i: only Argon2id is accepted.
  std::string argon2i = hash;
  argon2i.replace(0, 10, "$argon2i$");
  for (const std::string& bad :
       {std::string(), std::string("pw"), std::string("$argon2id$"), truncated, corrupted,
        with_nul, argon2i, std::string("$2y$10$abcdefghijklmnopqrstuuJ4xgLhF1jI1v3mX1zYxA6qQF0a"),
        hash + std::string(200, 'A')}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(VerifyPassword(bad, "pw"));
  }
  EXPECT_TRUE(VerifyPassword(hash, "pw"));
}

}  // namespace
}  // namespace pacsport::auth
