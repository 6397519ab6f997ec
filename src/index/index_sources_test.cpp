#include <gtest/gtest.h>

#include <algorithm>

#include "index/index.h"
#include "index/index_test_util.h"

namespace pacsport {
namespace {

StoredInstance AtSource(StoredInstance instance, const std::string& source,
                        const std::string& key) {
  instance.location = {source, key};
  return instance;
}

class SourcesTest : public IndexTest {};

TEST_F(SourcesTest, ListsTheKeysOfOneSourceOnly) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.2"), "pacs-a", "a2"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.3"), "pacs-b", "b1"));
  auto keys = index_->ListSourceKeys("pacs-a");
  ASSERT_TRUE(keys.ok());
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(index_->ListSourceKeys("pacs-c")->empty());
}

TEST_F(SourcesTest, RemovingPrunesWhatIsLeftEmpty) {
  const RowId h = Hospital("H");
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1", 1, 1, "MR"), "pacs-a", "a1"));
  Add(h, AtSource(MakeInstance("P1", "1.1", "1.1.2", "1.1.2.1", 2, 1, "CT"), "pacs-a", "a2"));
  Add(h, AtSource(MakeInstance("P2", "2.1", "2.1.1", "2.1.1.1"), "pacs-a", "a3"));
  Add(h, AtSource(MakeInstance("P2", "2.2", "2.2.1", "2.2.1.1"), "local", "l1"));

  auto removed = index_->RemoveSourceInstances("pacs-a", {"a2", "a3", "unknown"});
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_EQ(*removed, 2);

  // Study 1.1 keeps its MR series only, and its modalities follow.
  auto study = index_->GetStudy(h, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->number_of_series, 1);
  EXPECT_EQ(study->number_of_instances, 1);
  EXPECT_EQ(study->modality, "MR");
  // Study 2.1 lost its only instance; its patient keeps the other study.
  EXPECT_EQ(index_->GetStudy(h, "2.1").error().code(), ErrorCode::kNotFound);
  auto p2 = index_->GetPatient(h, "P2");
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->study_count, 1);

  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  EXPECT_EQ(index_->GetPatient(h, "P1").error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(index_->ListSourceKeys("pacs-a")->empty());
  EXPECT_EQ(index_->ListSourceKeys("local")->size(), 1u);
}

TEST_F(SourcesTest, RemovedInstancesCanComeBack) {
  const RowId h = Hospital("H");
  const StoredInstance instance =
      AtSource(MakeInstance("P1", "1.1", "1.1.1", "1.1.1.1"), "pacs-a", "a1");
  Add(h, instance);
  ASSERT_TRUE(index_->RemoveSourceInstances("pacs-a", {"a1"}).ok());
  Add(h, instance);
  EXPECT_EQ(index_->GetStudy(h, "1.1")->number_of_instances, 1);
}

TEST_F(SourcesTest, CursorsSurviveReopening) {
  EXPECT_FALSE(index_->GetSourceCursor("pacs-a")->has_value());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-a", {12, "2026-11-28T12:00:00Z"}).ok());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-a", {57, "2026-11-28T13:00:00Z"}).ok());
  ASSERT_TRUE(index_->SetSourceCursor("pacs-b", {3, "2026-11-28T13:00:01Z"}).ok());
  Reopen();
  auto cursor = index_->GetSourceCursor("pacs-a");
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ((*cursor)->last_change, 57);
  EXPECT_EQ((*cursor)->synced_at, "2026-11-28T13:00:00Z");
  EXPECT_EQ((*index_->GetSourceCursor("pacs-b"))->last_change, 3);
}

}  // namespace
}  // namespace pacsport
