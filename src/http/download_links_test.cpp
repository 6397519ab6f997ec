#include "http/download_links.h"

#include <gtest/gtest.h>

#include <set>

namespace pacsport::http {
namespace {

using std::chrono::seconds;

DownloadLinks::Grant GrantFor(const std::string& username, const std::string& study) {
  DownloadLinks::Grant grant;
  grant.principal = Principal{username, 7, "North", Role::kUser};
  grant.request.scope = ExportScope::kStudy;
  grant.request.target = study;
  return grant;
}

TEST(DownloadLinksTest, ALinkIsRedeemedOnceWithItsGrant) {
  DownloadLinks links(seconds(60));
  const auto now = DownloadLinks::Clock::now();
  const std::string token = links.Issue(GrantFor("alice", "1.2.3"), now);
  EXPECT_GE(token.size(), 43u);  // 32 random bytes
  auto grant = links.Redeem(token, now + seconds(1));
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->principal.username, "alice");
  EXPECT_EQ(grant->principal.hospital_id, 7);
  EXPECT_EQ(grant->request.target, "1.2.3");
  EXPECT_FALSE(links.Redeem(token, now + seconds(2)).has_value());
}

TEST(DownloadLinksTest, ExpiredAndUnknownLinksAreRefused) {
  DownloadLinks links(seconds(60));
  const auto now = DownloadLinks::Clock::now();
  const std::string token = links.Issue(GrantFor("alice", "1.2.3"), now);
  EXPECT_FALSE(links.Redeem(token, now + seconds(60)).has_value());
  EXPECT_FALSE(links.Redeem("", now).has_value());
  EXPECT_FALSE(links.Redeem(token + "x", now).has_value());
}

// A refused use is audited under the link's owner: used, revoked and expired links
// are remembered for one more lifetime, then forgotten.
TEST(DownloadLinksTest, SpentLinksKeepTheirOwnerForALifetime) {
  DownloadLinks links(seconds(60));
  const auto now = DownloadLinks::Clock::now();
  const std::string used = links.Issue(GrantFor("alice", "1.2.3"), now);
  const std::string revoked = links.Issue(GrantFor("bob", "1.2.4"), now);
  const std::string expired = links.Issue(GrantFor("carol", "1.2.5"), now);
  ASSERT_TRUE(links.Redeem(used, now).has_value());
  links.Revoke(revoked, now);
  EXPECT_FALSE(links.Peek(revoked, now).has_value());
  EXPECT_FALSE(links.Redeem(revoked, now).has_value());
  EXPECT_FALSE(links.Redeem(expired, now + seconds(61)).has_value());
  EXPECT_EQ(links.Owner(used)->principal.username, "alice");
  EXPECT_EQ(links.Owner(revoked)->principal.username, "bob");
  EXPECT_EQ(links.Owner(expired)->request.target, "1.2.5");
  EXPECT_FALSE(links.Owner("unknown").has_value());
  // Issuing sweeps links spent more than a lifetime ago.
  links.Issue(GrantFor("dave", "1.2.6"), now + seconds(121));
  EXPECT_FALSE(links.Owner(used).has_value());
  EXPECT_FALSE(links.Owner(expired).has_value());
}

TEST(DownloadLinksTest, TokensAreDistinct) {
  DownloadLinks links(seconds(60));
  const auto now = DownloadLinks::Clock::now();
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.insert(links.Issue(GrantFor("bob", "1.2"), now));
  EXPECT_EQ(tokens.size(), 1000u);
  // Each is still good once, for its own grant.
  EXPECT_TRUE(links.Redeem(*tokens.begin(), now).has_value());
}

TEST(DownloadLinksTest, ALinksUseIsRememberedUntilTheLinkIsForgotten) {
  DownloadLinks links(seconds(60));
  const auto now = DownloadLinks::Clock::now();
  const std::string token = links.Issue(GrantFor("alice", "1.2.3"), now);
  EXPECT_EQ(links.UseOf(token, now)->state, DownloadLinks::UseState::kPending);
  ASSERT_TRUE(links.Redeem(token, now).has_value());
  links.Report(token, {DownloadLinks::UseState::kStreaming});
  EXPECT_EQ(links.UseOf(token, now + seconds(61))->state, DownloadLinks::UseState::kStreaming);
  links.Report(token, {DownloadLinks::UseState::kFailed, Unavailable("source down")});
  const auto failed = links.UseOf(token, now + seconds(61));
  EXPECT_EQ(failed->state, DownloadLinks::UseState::kFailed);
  EXPECT_EQ(failed->error->message(), "source down");
  EXPECT_FALSE(links.UseOf(token + "x", now).has_value());

  const std::string unused = links.Issue(GrantFor("alice", "1.2.3"), now);
  EXPECT_EQ(links.UseOf(unused, now + seconds(60))->state, DownloadLinks::UseState::kExpired);
  links.Issue(GrantFor("bob", "1.2.3"), now + seconds(120));  // forgets both
  EXPECT_FALSE(links.UseOf(token, now + seconds(120)).has_value());
}

}  // namespace
}  // namespace pacsport::http
