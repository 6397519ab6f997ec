// JobDelivery: the last step of an export job that names a destination: its finished
// archive is sent there, or, when the destination is another PACS, the export's
// instances are pushed there instead of making an archive (delivery/destinations.h
// implements it). ExportJobs calls it with the job in state "delivering": after the
// archive is complete and synced, or, for a push, once the export is planned.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>

#include "core/error.h"
#include "export/instance_feed.h"
#include "index/index.h"

namespace pacsport {

struct DeliveredArchive {
  std::string where;               // a JSON object naming where it went (JobRecord::delivered_to)
  std::string keep_archive_until;  // ISO 8601; "" = the job's own retention
};

// What a push achieved (an error of its own aside).
struct PushedExport {
  std::string report;   // a JSON object: the push's report with its destination (delivered_to)
  std::string refused;  // "" when the peer took every instance; else the job's error, naming them
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
  // True when the job's destination takes the export's instances (another PACS) rather
  // than its archive; false too when it no longer exists (Deliver then says so).
  virtual bool TakesInstances(const JobRecord& job) = 0;
  // Sends every instance of `feed` to the job's destination, adding 1 to
  // `instances_done` as each is settled. Errors as delivery/instance_sender.h (the
  // feed's own passed on); kNotFound when the destination no longer exists. Gives up
  // when `stop` is requested.
  virtual Result<PushedExport> Push(const JobRecord& job, InstanceFeed& feed, std::stop_token stop,
                                    std::atomic<std::int64_t>& instances_done) = 0;
};

}  // namespace pacsport
