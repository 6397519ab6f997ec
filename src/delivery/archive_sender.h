// ArchiveSender: one destination's way of delivering a finished export archive (an
// object store, an e-mail), the last step of an export job with a destination.
//
// A sender is made from a destination's settings and decrypted secrets
// (destination_kinds.h) for one use and then dropped; it holds no state between
// uses. Send either delivers the whole archive or leaves nothing behind at the
// destination (an upload is aborted, its parts removed), so that a failed job never
// leaves a partial object. Both calls give up when `stop` is requested (the job was
// cancelled or the server is stopping), then answering kUnavailable.
// Errors name the destination's operation, never a secret:
//   kUnavailable  the destination cannot be reached, is too slow, answers 5xx, or the
//                 attempts ran out
//   kForbidden    the destination refuses the credentials (401, 403)
//   kInvalidInput the destination refuses the request as made (a bucket that does
//                 not exist, a bad address)
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "core/error.h"

namespace pacsport::delivery {

// A finished archive, complete and synced under its final name; read only.
struct OutgoingArchive {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::string sha256;        // hex, of the whole file
  std::string name;          // the download's file name, e.g. "export_all_20261203_101010.zip"
  std::string content_type;  // "application/zip" or "application/json"
  std::string job_id;
  std::string hospital_name;
  std::string username;  // who asked for the export (a schedule: its owner)
  // What the archive holds, without patient identifiers, e.g. "study export, 1 study,
  // 12 instances"; the e-mail names the export with it.
  std::string summary;
};

// Where an archive went: shown as the job's "deliveredTo", kept in the index.
struct DeliveryReceipt {
  // e.g. {"kind":"s3","bucket":"b","key":"k","etag":"…"}; no secret.
  nlohmann::ordered_json where;
  // When the archive must be kept at least until (ISO 8601 UTC), for a link that
  // points at it; "" = the job's own retention.
  std::string keep_archive_until;
};

class ArchiveSender {
 public:
  virtual ~ArchiveSender() = default;
  // Checks that the destination can be reached and accepts the credentials, leaving
  // nothing behind (the destinations' "test" action).
  virtual Status Check(std::stop_token stop) = 0;
  // Delivers `archive`, adding to `bytes_sent` as its bytes are accepted (it may go
  // back down when a part is sent again).
  virtual Result<DeliveryReceipt> Send(const OutgoingArchive& archive, std::stop_token stop,
                                       std::atomic<std::uint64_t>& bytes_sent) = 0;
};

}  // namespace pacsport::delivery
