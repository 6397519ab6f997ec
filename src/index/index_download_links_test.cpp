// Browser download links in the index: the compare-and-set redeem, revocation,
// forgetting and the bounded sweep (http/download_links.h builds on these).
#include <gtest/gtest.h>

#include "index/index_test_util.h"

namespace pacsport {
namespace {

class DownloadLinkRowsTest : public IndexTest {
 protected:
  static DownloadLinkRecord Link(const std::string& key, const std::string& expires,
                                 const std::string& forget) {
    DownloadLinkRecord link;
    link.token_sha256 = key;
    link.principal = Principal{"alice", 3, "North", Role::kAdmin};
    link.request = R"({"scope":"study","ids":["1.2.3"]})";
    link.created_at = "2026-12-04T10:00:00.000Z";
    link.expires_at = expires;
    link.forget_at = forget;
    return link;
  }
  std::optional<DownloadLinkRecord> Find(const std::string& key, const std::string& now) {
    return index_->FindDownloadLink(key, now).ValueOrThrow();
  }
};

constexpr const char* kExpires = "2026-12-04T10:01:00.000Z";
constexpr const char* kForget = "2026-12-04T10:02:00.000Z";

TEST_P(DownloadLinkRowsTest, ALinkIsKeptWholeUntilItIsForgotten) {
  ASSERT_TRUE(index_->AddDownloadLink(Link("k1", kExpires, kForget)).ok());
  EXPECT_EQ(index_->AddDownloadLink(Link("k1", kExpires, kForget)).error().code(),
            ErrorCode::kConflict);
  const auto link = Find("k1", "2026-12-04T10:01:59.999Z");
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->principal.username, "alice");
  EXPECT_EQ(link->principal.hospital_id, 3);
  EXPECT_EQ(link->principal.hospital_name, "North");
  EXPECT_EQ(link->principal.role, Role::kAdmin);
  EXPECT_EQ(link->request, R"({"scope":"study","ids":["1.2.3"]})");
  EXPECT_EQ(link->expires_at, kExpires);
  EXPECT_FALSE(link->spent);
  EXPECT_EQ(link->use_state, "pending");
  EXPECT_FALSE(Find("k1", kForget).has_value());
  EXPECT_FALSE(Find("k2", "2026-12-04T10:00:00.000Z").has_value());
}

TEST_P(DownloadLinkRowsTest, OnlyTheFirstRedeemBeforeExpiryWins) {
  ASSERT_TRUE(index_->AddDownloadLink(Link("k1", kExpires, kForget)).ok());
  ASSERT_TRUE(index_->AddDownloadLink(Link("k2", kExpires, kForget)).ok());
  const std::string at = "2026-12-04T10:00:30.000Z";
  const std::string forget_then = "2026-12-04T10:01:30.000Z";
  const auto won = index_->RedeemDownloadLink("k1", at, forget_then).ValueOrThrow();
  ASSERT_TRUE(won.has_value());
  EXPECT_TRUE(won->spent);
  EXPECT_EQ(won->forget_at, forget_then);  // sooner than kForget
  EXPECT_FALSE(index_->RedeemDownloadLink("k1", at, forget_then)->has_value());
  // Expired: nothing to redeem, and nothing changes.
  EXPECT_FALSE(index_->RedeemDownloadLink("k2", kExpires, kForget)->has_value());
  EXPECT_FALSE(Find("k2", kExpires)->spent);
  EXPECT_FALSE(index_->RedeemDownloadLink("k3", at, kForget)->has_value());
}

TEST_P(DownloadLinkRowsTest, RevokingSpendsAndNeverPostponesForgetting) {
  ASSERT_TRUE(index_->AddDownloadLink(Link("k1", kExpires, kForget)).ok());
  ASSERT_TRUE(index_->RevokeDownloadLink("k1", "2026-12-04T10:01:40.000Z").ok());
  ASSERT_TRUE(index_->RevokeDownloadLink("k1", "2026-12-04T10:05:00.000Z").ok());
  const auto link = Find("k1", "2026-12-04T10:00:00.000Z");
  EXPECT_TRUE(link->spent);
  EXPECT_EQ(link->forget_at, "2026-12-04T10:01:40.000Z");
  EXPECT_FALSE(index_->RedeemDownloadLink("k1", "2026-12-04T10:00:00.000Z", kForget)->has_value());
  EXPECT_TRUE(index_->RevokeDownloadLink("unknown", kForget).ok());
}

TEST_P(DownloadLinkRowsTest, AUseIsRecorded) {
  ASSERT_TRUE(index_->AddDownloadLink(Link("k1", kExpires, kForget)).ok());
  ASSERT_TRUE(index_->SetDownloadLinkUse("k1", "failed", "unavailable", "source down").ok());
  const auto link = Find("k1", kExpires);
  EXPECT_EQ(link->use_state, "failed");
  EXPECT_EQ(link->error_code, "unavailable");
  EXPECT_EQ(link->error_message, "source down");
  EXPECT_TRUE(index_->SetDownloadLinkUse("unknown", "completed", "", "").ok());
}

TEST_P(DownloadLinkRowsTest, ASweepRemovesAtMostItsLimitOfForgottenLinks) {
  for (int i = 0; i < 5; ++i) {
    const std::string forget = "2026-12-04T10:0" + std::to_string(i) + ":00.000Z";
    ASSERT_TRUE(index_->AddDownloadLink(Link("old" + std::to_string(i), forget, forget)).ok());
  }
  ASSERT_TRUE(index_->AddDownloadLink(Link("live", kExpires, "2026-12-04T11:00:00.000Z")).ok());
  const std::string now = "2026-12-04T10:30:00.000Z";
  EXPECT_EQ(index_->SweepDownloadLinks(now, 3).ValueOrThrow(), 3);
  // The longest forgotten went first.
  EXPECT_FALSE(Find("old0", "2026-12-04T09:00:00.000Z").has_value());
  EXPECT_TRUE(Find("old4", "2026-12-04T09:00:00.000Z").has_value());
  EXPECT_EQ(index_->SweepDownloadLinks(now, 3).ValueOrThrow(), 2);
  EXPECT_EQ(index_->SweepDownloadLinks(now, 3).ValueOrThrow(), 0);
  EXPECT_TRUE(Find("live", now).has_value());
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(DownloadLinkRowsTest);

}  // namespace
}  // namespace pacsport
