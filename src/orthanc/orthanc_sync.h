// OrthancSync: keeps the index's view of one Orthanc source up to date.
//
// A pass either follows Orthanc's change feed from the cursor the index keeps for
// the source (indexing every new instance), or reconciles: lists every instance ID
// Orthanc holds, indexes those the index lacks and removes those Orthanc no longer
// lists. Orthanc 1.10 records no change when a resource is deleted, so deletions
// are noticed by reconciling only. The first pass of a source is a reconciliation.
// The cursor moves only when a pass completes, so an interrupted pass is repeated
// from where the last complete one ended; indexing is idempotent.
//
// Indexing an instance reads its file (GET /instances/{id}/file), parses it as
// uploads are parsed, and records it for the source's hospital with its location
// (source name, Orthanc ID), SHA-256 and size. Files pacsport cannot index (not
// parseable, no UIDs, over 4 GiB) are skipped, counted and logged by Orthanc ID.
// Up to max_in_flight files are fetched at once; files over 64 MiB are parsed from
// an unnamed temporary file rather than memory.
//
// Thread-safety: one pass at a time (Pass serializes); status() may be called
// from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "core/error.h"
#include "dicom/instance_parser.h"
#include "index/index.h"
#include "orthanc/orthanc_source.h"
#include "storage/source_status.h"

namespace pacsport {

struct SyncReport {
  std::int64_t added = 0;
  std::int64_t removed = 0;
  std::int64_t skipped = 0;
  std::int64_t cursor = 0;  // the change feed's sequence number now indexed
};

class OrthancSync {
 public:
  enum class Mode { kFollowChanges, kReconcile };

  // Borrows both; they must outlive the sync. Files are parsed under `limits`; one
  // they exceed is skipped like any file that cannot be indexed.
  OrthancSync(Index& index, OrthancSource& source, RowId hospital_id,
              dicom::ParseLimits limits = {})
      : index_(index), source_(source), hospital_id_(hospital_id), limits_(limits) {}

  // One pass; kReconcile is forced when the source was never scanned. On failure
  // (source unreachable, index fault) or a stop request (kUnavailable) the cursor
  // stays where it was.
  Result<SyncReport> Pass(Mode mode, std::stop_token stop = {});

  SourceStatus status() const;
  const std::string& name() const { return source_.settings().name; }

 private:
  Result<SyncReport> Run(Mode mode, std::stop_token stop);
  // Every instance ID Orthanc lists.
  Result<std::vector<std::string>> ListInstances();
  // The IDs of instances added after change `since`, and the feed's last change.
  Status FollowChanges(std::int64_t since, std::vector<std::string>& added, std::int64_t& last);
  // Indexes each ID, `max_in_flight` at a time; fails on the first unavailable source
  // or index error.
  Status IndexAll(const std::vector<std::string>& ids, std::stop_token stop, SyncReport& report);
  // kNotFound when Orthanc no longer has it; a skipped file counts in report.
  Status IndexOne(const std::string& id, SyncReport& report, std::mutex& report_mutex);
  // The status: Orthanc answered with its last change (so health is right during a
  // long first pass), then the pass ended so.
  void ObserveReached(std::int64_t last_change);
  void ObserveOutcome(const Result<SyncReport>& outcome);

  Index& index_;
  OrthancSource& source_;
  const RowId hospital_id_;
  const dicom::ParseLimits limits_;
  std::mutex pass_mutex_;
  mutable std::mutex status_mutex_;
  SourceStatus status_;  // guarded by status_mutex_
};

}  // namespace pacsport
