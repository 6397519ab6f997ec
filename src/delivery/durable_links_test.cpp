#include "delivery/durable_links.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/digest.h"
#include "tests/support/temp_dir.h"

namespace pacsport::delivery {
namespace {

using namespace std::chrono_literals;

TEST(DurableLinks, KeepsOnlyTheTokensHashAndClaimsOnce) {
  testing::TempDir dir;
  auto index = OpenSqliteIndex((dir.path() / "index.sqlite").string());
  ASSERT_TRUE(index.ok()) << index.error().message();
  const RowId hospital = (*index)->AddHospital("Hôpital Saint-Éloi").value();
  DurableLinks links(**index, "https://pacs.example.org/");
  OutgoingArchive archive;
  archive.job_id = "J42";
  archive.hospital_name = "Hôpital Saint-Éloi";
  const auto expires = std::chrono::system_clock::now() + 1h;

  auto url = links.Issue(archive, expires);
  ASSERT_TRUE(url.ok()) << url.error().message();
  const std::string prefix = "https://pacs.example.org/api/deliveries/";
  ASSERT_TRUE(url->starts_with(prefix)) << *url;
  const std::string token = url->substr(prefix.size());
  EXPECT_EQ(token.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(DeliveryLinkHash(token), Sha256Hex(token));
  EXPECT_NE(*links.Issue(archive, expires), *url);

  // The index knows the link by the token's hash only.
  EXPECT_EQ(
      (*index)->ClaimDeliveryLink(token, Iso8601(std::chrono::system_clock::now())).error().code(),
      ErrorCode::kNotFound);
  const std::string now = Iso8601(std::chrono::system_clock::now());
  auto first = (*index)->ClaimDeliveryLink(DeliveryLinkHash(token), now);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->claimed);
  EXPECT_EQ(first->link.job_id, "J42");
  EXPECT_EQ(first->link.hospital_id, hospital);
  EXPECT_EQ(first->link.expires_at, Iso8601(expires));
  EXPECT_FALSE((*index)->ClaimDeliveryLink(DeliveryLinkHash(token), now)->claimed);
}

TEST(DurableLinks, AnUnknownHospitalIsNotFound) {
  testing::TempDir dir;
  auto index = OpenSqliteIndex((dir.path() / "index.sqlite").string());
  ASSERT_TRUE(index.ok());
  DurableLinks links(**index, "https://pacs.example.org");
  OutgoingArchive archive;
  archive.job_id = "J1";
  archive.hospital_name = "Nowhere";
  auto url = links.Issue(archive, std::chrono::system_clock::now() + 1h);
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pacsport::delivery
