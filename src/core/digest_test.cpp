#include "core/digest.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(DigestTest, IncrementalEqualsOneShot) {
  Sha256 hash;
  hash.Update("a", 1);
  hash.Update("bc", 2);
  EXPECT_EQ(hash.FinishHex(), Sha256Hex("abc"));
}

TEST(DigestTest, OrthancInstanceIdIsGroupedSha1OfJoinedIdentifiers) {
  const std::string id = OrthancInstanceId("P", "1.2", "1.2.3", "1.2.3.4");
  const std::string sha = Sha1Hex("P|1.2|1.2.3|1.2.3.4");
  ASSERT_EQ(id.size(), 44u);
  EXPECT_EQ(id, sha.substr(0, 8) + "-" + sha.substr(8, 8) + "-" + sha.substr(16, 8) + "-" +
                    sha.substr(24, 8) + "-" + sha.substr(32, 8));
}

}  // namespace
}  // namespace pacsport
