// DurableLinks: the single-use links that e-mails carry to a job's archive
// (ArchiveLinks), kept in the index so that they outlive a restart.
//
// A link's token is 32 random bytes, base64url-encoded; the index keeps only its
// SHA-256 (DeliveryLinkHash), so a copy of the database opens no archive. The link is
// public_url + "/api/deliveries/" + token; GET /api/deliveries/:token claims it once
// (Index::ClaimDeliveryLink) and serves the archive. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "delivery/destination_kinds.h"
#include "index/index.h"

namespace pacsport::delivery {

// The hash under which a link's token is kept: SHA-256, lowercase hex.
std::string DeliveryLinkHash(std::string_view token);

class DurableLinks final : public ArchiveLinks {
 public:
  // Borrows `index`. `public_url` is the server's address as recipients reach it,
  // e.g. "https://pacs.example.org" (a trailing '/' is dropped).
  DurableLinks(Index& index, std::string public_url);

  // kNotFound when the archive's hospital is unknown; the index's errors otherwise.
  Result<std::string> Issue(const OutgoingArchive& archive,
                            std::chrono::system_clock::time_point expires) override;

 private:
  Index& index_;
  const std::string public_url_;
};

}  // namespace pacsport::delivery
