// JobDelivery: the last step of an export job that names a destination: its finished
// archive is sent there (delivery/destinations.h implements it). ExportJobs calls it
// after the archive is complete and synced, with the job in state "delivering".
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>

#include "core/error.h"
#include "index/index.h"

namespace pacsport {

struct DeliveredArchive {
  std::string where;               // a JSON object naming where it went (JobRecord::delivered_to)
  std::string keep_archive_until;  // ISO 8601; "" = the job's own retention
};

class JobDelivery {
 public:
  virtual ~JobDelivery() = default;
  // kNotFound unless `principal`'s hospital has the destination `destination_id`.
  virtual Status CheckDestination(const Principal& principal, RowId destination_id) = 0;
  // A readable name of the job's destination for the audit, e.g. "Backup bucket (s3)".
  virtual std::string DestinationLabel(const JobRecord& job) = 0;
  // Sends `job`'s archive at `archive` (its size and SHA-256 are the job's) to the
  // job's destination. Errors as delivery/archive_sender.h; kNotFound when the
  // destination no longer exists. Gives up when `stop` is requested.
  virtual Result<DeliveredArchive> Deliver(const JobRecord& job,
                                           const std::filesystem::path& archive,
                                           std::stop_token stop,
                                           std::atomic<std::uint64_t>& bytes_sent) = 0;
};

}  // namespace pacsport
