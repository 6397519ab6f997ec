// ReconcilePlan: what bringing the index in line with one Orthanc takes, decided from
// what Orthanc showed (a listing, or the instances the change feed named) and what
// the index holds of the same instances. Pure: no I/O; thread-safe.
//
// An instance Orthanc showed and the index lacks is fetched. One both have is
// compared by Orthanc's file UUID, which changes whenever Orthanc stores the instance
// again (deleted and uploaded anew under the same identifiers, hence the same ID):
// another UUID means other bytes, so the instance is fetched again. An instance
// indexed before the UUID was recorded is taken as current when its size matches
// (its UUID is then recorded), else fetched again. An instance the index holds and
// Orthanc did not show is only a candidate for removal: a listing may miss instances,
// so each must be confirmed absent first.
#pragma once

#include <string>
#include <vector>

#include "index/index.h"
#include "orthanc/orthanc_catalog.h"

namespace pacsport {

// How an indexed instance stands against what Orthanc holds under its ID.
enum class Freshness {
  kCurrent,    // the same file
  kAdoptable,  // indexed without a file UUID, same size: record Orthanc's UUID
  kStale,      // another file: fetch it again
};
Freshness CompareWithOrthanc(const SourceEntry& indexed, const OrthancInstance& held);

struct ReconcilePlan {
  std::vector<OrthancInstance> fetch;    // not indexed
  std::vector<OrthancInstance> refetch;  // indexed with other bytes
  std::vector<SourceEntry> adopt;        // kAdoptable, with Orthanc's UUID as revision
  std::vector<SourceEntry> unshown;      // indexed, not shown: confirm before removing
};

// The plan for `shown` (Orthanc's instances) against `indexed` (the index's entries).
ReconcilePlan PlanReconcile(std::vector<OrthancInstance> shown, std::vector<SourceEntry> indexed);

// Adds `held`, what Orthanc now holds under the ID of an unshown entry, to the plan
// per its freshness.
void Recheck(const SourceEntry& indexed, const OrthancInstance& held, ReconcilePlan& plan);

}  // namespace pacsport
