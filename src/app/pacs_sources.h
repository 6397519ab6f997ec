// PacsSources: every source of DICOM files that a configuration names, over one
// data directory: the embedded store, and for each configured Orthanc its reader
// and its sync, with the router that sends each read to its source.
//
// Syncing in the background (serve) runs one thread per Orthanc: a reconciling
// pass at once, then the change feed every poll interval and a reconciliation every
// reconcile interval, while this replica holds the source's SyncLease (one replica
// syncs a source at a time; another takes over when it dies). The threads stop,
// between files, when the object is destroyed, and give their leases up.
// Not copyable; borrows the data directory, which must outlive it.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/data_directory.h"
#include "core/error.h"
#include "orthanc/orthanc_source.h"
#include "orthanc/orthanc_sync.h"
#include "orthanc/sync_lease.h"
#include "storage/source_router.h"
#include "storage/source_status.h"

namespace pacsport {

class PacsSources {
 public:
  // kInvalidInput naming the source when its hospital does not exist.
  static Result<std::unique_ptr<PacsSources>> Open(const Config& config, DataDirectory& dir);
  ~PacsSources();
  PacsSources(const PacsSources&) = delete;
  PacsSources& operator=(const PacsSources&) = delete;

  SourceRouter& router() { return router_; }
  const std::vector<std::unique_ptr<OrthancSync>>& syncs() const { return syncs_; }

  // Every source's status: the local store as checked now, each Orthanc as its
  // sync last observed it, or, when another replica syncs it, as the index holds it.
  std::vector<SourceStatus> Statuses();
  // Starts the background syncs, each under a SyncLease of length `lease`. Call once.
  void StartSyncing(std::chrono::seconds lease);

 private:
  explicit PacsSources(DataDirectory& dir) : dir_(dir) {}

  DataDirectory& dir_;
  std::vector<std::unique_ptr<OrthancSource>> orthancs_;
  std::vector<std::unique_ptr<OrthancSync>> syncs_;  // one per orthancs_ element
  std::vector<std::unique_ptr<SyncLease>> leases_;   // one per syncs_ element, once syncing
  SourceRouter router_;
  std::vector<std::jthread> threads_;  // last: stopped and joined first
};

}  // namespace pacsport
