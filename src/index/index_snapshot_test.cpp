// IndexSnapshot: one read transaction of its own, so that writes made while an export
// reads (a sync, an import) are not seen by it (issue 13, "Consistent").
#include <gtest/gtest.h>

#include "index/index_test_util.h"

namespace pacsport {
namespace {

class SnapshotTest : public IndexTest {
 protected:
  // Every Patient ID the cursor gives, in order.
  static std::vector<std::string> PatientIds(IndexSnapshot& snapshot) {
    std::vector<std::string> ids;
    auto cursor = snapshot.ListAllPatients();
    EXPECT_TRUE(cursor.ok());
    while (true) {
      auto next = (*cursor)->Next();
      EXPECT_TRUE(next.ok());
      if (!next.ok() || !next->has_value()) return ids;
      ids.push_back((*next)->patient_id);
    }
  }
};

TEST_P(SnapshotTest, ListsPatientsInTheOrderOfListPatients) {
  const RowId h = Hospital("H");
  const RowId other = Hospital("Other");
  for (int i = 0; i < 30; ++i) {
    Add(h, MakeInstance("P" + std::to_string(29 - i), "1.2." + std::to_string(i),
                        "1.3." + std::to_string(i), "1.4." + std::to_string(i)));
  }
  Add(other, MakeInstance("X", "1.9", "1.9.1", "1.9.1.1"));
  auto snapshot = index_->OpenSnapshot(h);
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message();
  auto page = index_->ListPatients(h, PatientQuery{"", {0, 1000}});
  ASSERT_TRUE(page.ok());
  std::vector<std::string> expected;
  for (const PatientRecord& p : page->items) expected.push_back(p.patient_id);
  EXPECT_EQ(PatientIds(**snapshot), expected);
  EXPECT_EQ((*snapshot)->GetPatient("X").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*snapshot)->GetStudy("1.9").error().code(), ErrorCode::kNotFound);
}

TEST_P(SnapshotTest, DoesNotSeeWritesMadeWhileItIsOpen) {
  const RowId h = Hospital("H");
  Add(h, MakeInstance("A", "1.1", "1.1.1", "1.1.1.1"));
  Add(h, MakeInstance("B", "1.2", "1.2.1", "1.2.1.1"));
  auto snapshot = index_->OpenSnapshot(h);
  ASSERT_TRUE(snapshot.ok());
  auto cursor = (*snapshot)->ListAllPatients();
  ASSERT_TRUE(cursor.ok());
  auto first = (*cursor)->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->patient_id, "A");
  // A sync adds a patient sorting between A and B, and an instance to study 1.2,
  // while the export is half-way.
  Add(h, MakeInstance("AB", "1.3", "1.3.1", "1.3.1.1"));
  Add(h, MakeInstance("B", "1.2", "1.2.1", "1.2.1.2"));
  auto second = (*cursor)->Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->patient_id, "B");
  auto end = (*cursor)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  auto instances = (*snapshot)->ListStudyInstances("1.2");
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->size(), 1u);
  EXPECT_EQ((*snapshot)->GetStudy("1.3").error().code(), ErrorCode::kNotFound);
  auto totals = (*snapshot)->Totals(TotalsOf::kHospital, "");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->instances, 2);
  // A second walk in the same snapshot sees the same; the index itself sees all.
  cursor->reset();
  EXPECT_EQ(PatientIds(**snapshot), (std::vector<std::string>{"A", "B"}));
  auto now = index_->ListStudyInstances(h, "1.2");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->size(), 2u);
  snapshot->reset();
  auto fresh = index_->OpenSnapshot(h);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(PatientIds(**fresh), (std::vector<std::string>{"A", "AB", "B"}));
}

TEST_P(SnapshotTest, AddsUpInstancesBySource) {
  const RowId h = Hospital("H");
  StoredInstance a = MakeInstance("A", "1.1", "1.1.1", "1.1.1.1");
  StoredInstance b = MakeInstance("A", "1.1", "1.1.1", "1.1.1.2");
  b.location.source = "orthanc";
  StoredInstance c = MakeInstance("C", "1.2", "1.2.1", "1.2.1.1");
  Add(h, a);
  Add(h, b);
  Add(h, c);
  auto snapshot = index_->OpenSnapshot(h);
  ASSERT_TRUE(snapshot.ok());
  auto all = (*snapshot)->Totals(TotalsOf::kHospital, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->instances, 3);
  EXPECT_EQ(all->bytes, a.size + b.size + c.size);
  EXPECT_EQ(all->sources, (std::vector<std::string>{a.location.source, "orthanc"}));
  auto sources = (*snapshot)->ListSources();
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(*sources, all->sources);
  const RowId other = Hospital("Other");
  StoredInstance elsewhere = MakeInstance("O", "1.9", "1.9.1", "1.9.1.1");
  elsewhere.location.source = "another";
  Add(other, elsewhere);
  auto still = (*snapshot)->ListSources();  // the snapshot does not see it anyway
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(*still, all->sources);
  auto fresh = index_->OpenSnapshot(h);
  ASSERT_TRUE(fresh.ok());
  auto fresh_sources = (*fresh)->ListSources();
  ASSERT_TRUE(fresh_sources.ok());
  EXPECT_EQ(*fresh_sources, all->sources);  // another hospital's source is not ours
  auto patient = (*snapshot)->Totals(TotalsOf::kPatient, "A");
  ASSERT_TRUE(patient.ok());
  EXPECT_EQ(patient->instances, 2);
  auto study = (*snapshot)->Totals(TotalsOf::kStudy, "1.2");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->instances, 1);
  EXPECT_EQ(study->bytes, c.size);
  auto none = (*snapshot)->Totals(TotalsOf::kStudy, "9.9");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->instances, 0);
  auto studies = (*snapshot)->ListPatientStudies("A");
  ASSERT_TRUE(studies.ok());
  ASSERT_EQ(studies->size(), 1u);
  EXPECT_EQ(studies->front().number_of_instances, 2);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(SnapshotTest);
}  // namespace
}  // namespace pacsport
