#include "orthanc/reconcile_plan.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

std::vector<std::string> Ids(const std::vector<OrthancInstance>& instances) {
  std::vector<std::string> ids;
  for (const auto& instance : instances) ids.push_back(instance.id);
  return ids;
}

std::vector<std::string> Keys(const std::vector<SourceEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& entry : entries) keys.push_back(entry.key);
  return keys;
}

TEST(ReconcilePlanTest, SortsShownAndIndexedIntoWhatToDo) {
  const ReconcilePlan plan = PlanReconcile(
      {{"d", "u-d", 4},
       {"a", "u-a", 1},
       {"b", "u-b2", 2},
       {"c", "u-c", 3},
       {"e", "u-e", 50},
       {"a", "u-a", 1}},
      {{"a", "u-a", 1}, {"b", "u-b1", 2}, {"c", "", 3}, {"e", "", 5}, {"x", "u-x", 9}});
  EXPECT_EQ(Ids(plan.fetch), std::vector<std::string>{"d"});
  EXPECT_EQ(Ids(plan.refetch), (std::vector<std::string>{"b", "e"}));
  ASSERT_EQ(plan.adopt.size(), 1u);
  EXPECT_EQ(plan.adopt[0].key, "c");
  EXPECT_EQ(plan.adopt[0].revision, "u-c");
  EXPECT_EQ(Keys(plan.unshown), std::vector<std::string>{"x"});
}

TEST(ReconcilePlanTest, AnEmptyListingOnlyNamesCandidates) {
  const ReconcilePlan plan = PlanReconcile({}, {{"a", "u-a", 1}, {"b", "u-b", 2}});
  EXPECT_TRUE(plan.fetch.empty() && plan.refetch.empty() && plan.adopt.empty());
  EXPECT_EQ(Keys(plan.unshown), (std::vector<std::string>{"a", "b"}));
}

TEST(ReconcilePlanTest, RecheckSortsAConfirmedCandidate) {
  ReconcilePlan plan;
  Recheck({"a", "u-a", 1}, {"a", "u-a", 1}, plan);
  Recheck({"b", "u-b", 2}, {"b", "u-b2", 2}, plan);
  Recheck({"c", "", 3}, {"c", "u-c", 3}, plan);
  EXPECT_EQ(Ids(plan.refetch), std::vector<std::string>{"b"});
  EXPECT_EQ(Keys(plan.adopt), std::vector<std::string>{"c"});
}

TEST(ReconcilePlanTest, FreshnessByUuidThenSize) {
  EXPECT_EQ(CompareWithOrthanc({"a", "u", 1}, {"a", "u", 2}), Freshness::kCurrent);
  EXPECT_EQ(CompareWithOrthanc({"a", "u", 1}, {"a", "v", 1}), Freshness::kStale);
  EXPECT_EQ(CompareWithOrthanc({"a", "", 1}, {"a", "v", 1}), Freshness::kAdoptable);
  EXPECT_EQ(CompareWithOrthanc({"a", "", 1}, {"a", "v", 2}), Freshness::kStale);
}

}  // namespace
}  // namespace pacsport
