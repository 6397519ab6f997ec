#include "http/download_links.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <set>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "index/index_test_util.h"

namespace pacsport::http {
namespace {

using std::chrono::seconds;

const SystemTime kT0{seconds(1'800'000'000)};

DownloadLinks::Grant GrantFor(const std::string& username, const std::string& study) {
  DownloadLinks::Grant grant;
  grant.principal = Principal{username, 7, "North", Role::kUser};
  grant.request.scope = ExportScope::kStudy;
  grant.request.target = study;
  return grant;
}

// The links over a fresh index; every call is expected to reach it.
class DownloadLinksTest : public IndexTest {
 protected:
  std::string Issue(DownloadLinks& links, const DownloadLinks::Grant& grant, SystemTime now) {
    return links.Issue(grant, now).ValueOrThrow();
  }
  std::optional<DownloadLinks::Grant> Redeem(DownloadLinks& links, const std::string& token,
                                             SystemTime now) {
    return links.Redeem(token, now).ValueOrThrow();
  }
};

TEST_P(DownloadLinksTest, ALinkIsRedeemedOnceWithItsGrant) {
  DownloadLinks links(*index_, seconds(60));
  DownloadLinks::Grant asked = GrantFor("alice", "1.2.3");
  asked.principal.role = Role::kAdmin;
  asked.request.options.format = ExportFormat::kMedia;
  asked.request.options.compression_level = 3;
  const std::string token = Issue(links, asked, kT0);
  EXPECT_GE(token.size(), 43u);  // 32 random bytes
  auto grant = Redeem(links, token, kT0 + seconds(1));
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->principal.username, "alice");
  EXPECT_EQ(grant->principal.hospital_id, 7);
  EXPECT_EQ(grant->principal.hospital_name, "North");
  EXPECT_EQ(grant->principal.role, Role::kAdmin);
  EXPECT_EQ(grant->request.scope, ExportScope::kStudy);
  EXPECT_EQ(grant->request.target, "1.2.3");
  EXPECT_EQ(grant->request.options.format, ExportFormat::kMedia);
  EXPECT_EQ(grant->request.options.compression_level, 3);
  EXPECT_FALSE(Redeem(links, token, kT0 + seconds(2)).has_value());
}

TEST_P(DownloadLinksTest, ExpiredAndUnknownLinksAreRefused) {
  DownloadLinks links(*index_, seconds(60));
  const std::string token = Issue(links, GrantFor("alice", "1.2.3"), kT0);
  EXPECT_FALSE(Redeem(links, token, kT0 + seconds(60)).has_value());
  EXPECT_FALSE(Redeem(links, "", kT0).has_value());
  EXPECT_FALSE(Redeem(links, token + "x", kT0).has_value());
}

// A refused use is audited under the link's owner: used, revoked and expired links
// are remembered for one more lifetime, then forgotten.
TEST_P(DownloadLinksTest, SpentLinksKeepTheirOwnerForALifetime) {
  DownloadLinks links(*index_, seconds(60));
  const std::string used = Issue(links, GrantFor("alice", "1.2.3"), kT0);
  const std::string revoked = Issue(links, GrantFor("bob", "1.2.4"), kT0);
  const std::string expired = Issue(links, GrantFor("carol", "1.2.5"), kT0);
  ASSERT_TRUE(Redeem(links, used, kT0).has_value());
  ASSERT_TRUE(links.Revoke(revoked, kT0).ok());
  EXPECT_FALSE(links.Peek(revoked, kT0)->has_value());
  EXPECT_FALSE(Redeem(links, revoked, kT0).has_value());
  EXPECT_FALSE(Redeem(links, expired, kT0 + seconds(61)).has_value());
  EXPECT_EQ((*links.Owner(used, kT0 + seconds(59)))->principal.username, "alice");
  EXPECT_EQ((*links.Owner(revoked, kT0 + seconds(59)))->principal.username, "bob");
  EXPECT_EQ((*links.Owner(expired, kT0 + seconds(61)))->request.target, "1.2.5");
  EXPECT_FALSE(links.Owner("unknown", kT0)->has_value());
  // Forgotten a lifetime after they were spent (or expired), and swept by an Issue.
  EXPECT_FALSE(links.Owner(used, kT0 + seconds(60))->has_value());
  EXPECT_TRUE(links.Owner(expired, kT0 + seconds(119))->has_value());
  EXPECT_FALSE(links.Owner(expired, kT0 + seconds(120))->has_value());
  Issue(links, GrantFor("dave", "1.2.6"), kT0 + seconds(121));
  EXPECT_EQ(index_->SweepDownloadLinks(Iso8601(kT0 + seconds(121)), 100).ValueOrThrow(), 0);
}

TEST_P(DownloadLinksTest, TokensAreDistinctAndKeptOnlyAsTheirDigest) {
  DownloadLinks links(*index_, seconds(60));
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(Issue(links, GrantFor("bob", "1.2"), kT0));
  EXPECT_EQ(tokens.size(), 100u);
  // Each is still good once, for its own grant.
  EXPECT_TRUE(Redeem(links, *tokens.begin(), kT0).has_value());
  const std::string& other = *tokens.rbegin();
  EXPECT_TRUE(index_->FindDownloadLink(Sha256Hex(other), Iso8601(kT0))->has_value());
  EXPECT_FALSE(index_->FindDownloadLink(other, Iso8601(kT0))->has_value());
}

TEST_P(DownloadLinksTest, ALinksUseIsRememberedUntilTheLinkIsForgotten) {
  DownloadLinks links(*index_, seconds(60));
  const std::string token = Issue(links, GrantFor("alice", "1.2.3"), kT0);
  EXPECT_EQ((*links.UseOf(token, kT0))->state, DownloadLinks::UseState::kPending);
  ASSERT_TRUE(Redeem(links, token, kT0).has_value());
  ASSERT_TRUE(links.Report(token, {DownloadLinks::UseState::kStreaming}).ok());
  EXPECT_EQ((*links.UseOf(token, kT0 + seconds(59)))->state, DownloadLinks::UseState::kStreaming);
  ASSERT_TRUE(
      links.Report(token, {DownloadLinks::UseState::kFailed, Unavailable("source down")}).ok());
  const auto failed = *links.UseOf(token, kT0 + seconds(59));
  EXPECT_EQ(failed->state, DownloadLinks::UseState::kFailed);
  EXPECT_EQ(failed->error->code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failed->error->message(), "source down");
  EXPECT_FALSE(links.UseOf(token + "x", kT0)->has_value());

  const std::string unused = Issue(links, GrantFor("alice", "1.2.3"), kT0);
  EXPECT_EQ((*links.UseOf(unused, kT0 + seconds(60)))->state, DownloadLinks::UseState::kExpired);
  EXPECT_FALSE(links.UseOf(token, kT0 + seconds(60))->has_value());
  EXPECT_FALSE(links.UseOf(unused, kT0 + seconds(120))->has_value());
}

// A job archive's link serves ranges (Peek) until a download of it ends (Revoke).
TEST_P(DownloadLinksTest, AJobArchiveLinkIsPeekedUntilRevoked) {
  DownloadLinks links(*index_, seconds(60));
  const DownloadLinks::Grant grant{Principal{"alice", 7, "North", Role::kUser}, {}, "job-1"};
  const std::string token = links.Issue(grant, kT0, seconds(600)).ValueOrThrow();
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*links.Peek(token, kT0 + seconds(300)))->job_id, "job-1");
  ASSERT_TRUE(links.Revoke(token, kT0 + seconds(301)).ok());
  EXPECT_FALSE(links.Peek(token, kT0 + seconds(302))->has_value());
  EXPECT_EQ((*links.Owner(token, kT0 + seconds(302)))->job_id, "job-1");
}

// Two replicas, each with its own connection to one index: a link made on one is
// used on the other once, and survives a restart.
TEST_P(DownloadLinksTest, ReplicasShareLinksAndExactlyOneRedeems) {
  auto other_index = Open().ValueOrThrow();
  DownloadLinks there(*other_index, seconds(60));
  std::string token;
  {
    DownloadLinks here(*index_, seconds(60));
    token = Issue(here, GrantFor("alice", "1.2.3"), kT0);
  }
  Reopen();
  DownloadLinks restarted(*index_, seconds(60));
  constexpr int kRedeemers = 8;
  std::atomic<int> won{0};
  std::barrier start(kRedeemers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kRedeemers; ++t) {
    threads.emplace_back([&, t] {
      DownloadLinks& links = t % 2 == 0 ? there : restarted;
      start.arrive_and_wait();
      if (Redeem(links, token, kT0 + seconds(1))) ++won;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(won.load(), 1);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(DownloadLinksTest);

}  // namespace
}  // namespace pacsport::http
