// SyncLease: the right of one replica at a time to sync an Orthanc source, among the
// serve replicas sharing one index (docs/decisions/0024). It is the index's named lease
// "orthanc-sync:SOURCE", which the holder renews (Hold) every third of its length while
// it lives; once it expires, another replica's Hold takes it over. Release gives it up
// at a clean stop, so that another replica takes over at once.
// Thread-safe (each call is one index transaction).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "index/index.h"

namespace pacsport {

class SyncLease {
 public:
  // Borrows `index`, which must outlive the lease.
  SyncLease(Index& index, const std::string& source, std::string replica,
            std::chrono::seconds length);

  // Takes the lease, or renews it when this replica holds it; whether it holds it now
  // (false on an index fault: the sync then waits rather than risk running twice).
  bool Hold();
  // Gives the lease up if this replica holds it.
  void Release();
  // How often to call Hold: a third of the lease.
  std::chrono::milliseconds renewal_interval() const { return length_ / 3; }

  // The replica holding the sync lease of `source` now; nullopt when none does (or it
  // cannot be read).
  static std::optional<std::string> Holder(Index& index, const std::string& source);

 private:
  Index& index_;
  const std::string name_;
  const std::string replica_;
  const std::chrono::milliseconds length_;
};

}  // namespace pacsport
