#include "orthanc/reconcile_plan.h"

#include <algorithm>

namespace pacsport {

Freshness CompareWithOrthanc(const SourceEntry& indexed, const OrthancInstance& held) {
  if (indexed.revision == held.file_uuid) return Freshness::kCurrent;
  if (indexed.revision.empty() && indexed.size == held.size) return Freshness::kAdoptable;
  return Freshness::kStale;
}

void Recheck(const SourceEntry& indexed, const OrthancInstance& held, ReconcilePlan& plan) {
  switch (CompareWithOrthanc(indexed, held)) {
    case Freshness::kCurrent:
      break;
    case Freshness::kAdoptable:
      plan.adopt.push_back({indexed.key, held.file_uuid, indexed.size});
      break;
    case Freshness::kStale:
      plan.refetch.push_back(held);
      break;
  }
}

ReconcilePlan PlanReconcile(std::vector<OrthancInstance> shown, std::vector<SourceEntry> indexed) {
  std::sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  // A shifting listing, or a feed naming an instance stored twice, may show it twice.
  shown.erase(std::unique(shown.begin(), shown.end(),
                          [](const auto& a, const auto& b) { return a.id == b.id; }),
              shown.end());
  std::sort(indexed.begin(), indexed.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  ReconcilePlan plan;
  auto s = shown.begin();
  auto i = indexed.begin();
  while (s != shown.end() || i != indexed.end()) {
    if (i == indexed.end() || (s != shown.end() && s->id < i->key)) {
      plan.fetch.push_back(*s++);
    } else if (s == shown.end() || i->key < s->id) {
      plan.unshown.push_back(*i++);
    } else {
      Recheck(*i++, *s++, plan);
    }
  }
  return plan;
}

}  // namespace pacsport
