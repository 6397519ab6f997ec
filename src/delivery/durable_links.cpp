#include "delivery/durable_links.h"

#include "auth/random_token.h"
#include "core/clock.h"
#include "core/digest.h"

namespace pacsport::delivery {
namespace {

constexpr std::size_t kTokenBytes = 32;

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string DeliveryLinkHash(std::string_view token) { return Sha256Hex(token); }

DurableLinks::DurableLinks(Index& index, std::string public_url)
    : index_(index), public_url_(WithoutTrailingSlash(std::move(public_url))) {}

Result<std::string> DurableLinks::Issue(const OutgoingArchive& archive,
                                        std::chrono::system_clock::time_point expires) {
  auto hospital = index_.FindHospital(archive.hospital_name);
  if (!hospital.ok()) return hospital.error();
  const std::string token = auth::RandomBase64Url(kTokenBytes);
  DeliveryLink link;
  link.token_sha256 = DeliveryLinkHash(token);
  link.job_id = archive.job_id;
  link.hospital_id = hospital->id;
  link.created_at = Iso8601(std::chrono::system_clock::now());
  link.expires_at = Iso8601(expires);
  if (Status added = index_.AddDeliveryLink(link); !added.ok()) return added.error();
  return public_url_ + "/api/deliveries/" + token;
}

}  // namespace pacsport::delivery
