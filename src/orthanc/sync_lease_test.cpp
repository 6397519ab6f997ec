// SyncLease: one replica at a time holds a source's sync, renews it, and gives it up.
#include "orthanc/sync_lease.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

TEST(SyncLeaseTest, OneReplicaHoldsASourceUntilItGivesItUp) {
  testing::TempDir dir;
  auto index = OpenSqliteIndex((dir.path() / "index.sqlite").string()).ValueOrThrow();
  SyncLease a(*index, "pacs", "host:1:aaaaaaaa", std::chrono::seconds(30));
  SyncLease b(*index, "pacs", "host:2:bbbbbbbb", std::chrono::seconds(30));
  SyncLease other_source(*index, "other", "host:2:bbbbbbbb", std::chrono::seconds(30));
  EXPECT_EQ(SyncLease::Holder(*index, "pacs"), std::nullopt);

  EXPECT_TRUE(a.Hold());
  EXPECT_FALSE(b.Hold());
  EXPECT_TRUE(a.Hold()) << "a renewal";
  EXPECT_TRUE(other_source.Hold()) << "one lease per source";
  EXPECT_EQ(SyncLease::Holder(*index, "pacs"), "host:1:aaaaaaaa");
  EXPECT_EQ(a.renewal_interval(), std::chrono::seconds(10));

  a.Release();
  EXPECT_EQ(SyncLease::Holder(*index, "pacs"), std::nullopt);
  EXPECT_TRUE(b.Hold());
  EXPECT_FALSE(a.Hold());
  EXPECT_EQ(SyncLease::Holder(*index, "pacs"), "host:2:bbbbbbbb");
}

}  // namespace
}  // namespace pacsport
