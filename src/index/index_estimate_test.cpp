// Index::SumExportScope: the sums an export estimate is computed from.
#include <gtest/gtest.h>

#include <algorithm>

#include "index/index.h"
#include "index/index_test_util.h"

namespace pacsport {
namespace {

class EstimateSumsTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    north_ = Hospital("North");
    south_ = Hospital("South");
    // Patient P1: study 1.1 with two native 512x512 CT slices, study 1.2 with one
    // encapsulated 3-frame RGB object. Patient P2: study 2.1, one slice indexed before
    // sizes were measured (no deflated size, no geometry).
    Add(north_, Slice("P1", "1.1", "1.1.1.1", 1000, 300));
    Add(north_, Slice("P1", "1.1", "1.1.1.2", 1000, 200));
    StoredInstance rgb = MakeInstance("P1", "1.2", "1.2.1", "1.2.1.1");
    rgb.size = 5000;
    rgb.metadata.transfer_syntax_uid = "1.2.840.10008.1.2.4.50";
    rgb.metadata.number_of_frames = 3;
    rgb.metadata.rows = 100;
    rgb.metadata.columns = 200;
    rgb.metadata.samples_per_pixel = 3;
    rgb.metadata.bits_allocated = 8;
    Add(north_, rgb);
    StoredInstance old = MakeInstance("P2", "2.1", "2.1.1", "2.1.1.1");
    old.size = 700;
    Add(north_, old);
    // The same study UID in another hospital must never count.
    Add(south_, Slice("P1", "1.1", "1.1.1.1", 99999, 1));
  }

  static StoredInstance Slice(const std::string& patient, const std::string& study,
                              const std::string& sop, std::int64_t size, std::int64_t deflated) {
    StoredInstance s = MakeInstance(patient, study, study + ".1", sop);
    s.size = size;
    s.deflated_size = deflated;
    s.metadata.rows = 512;
    s.metadata.columns = 512;
    s.metadata.samples_per_pixel = 1;
    s.metadata.bits_allocated = 16;
    return s;
  }

  ExportScopeTotals Sum(ExportScopeQuery query) {
    auto totals = index_->SumExportScope(north_, query);
    EXPECT_TRUE(totals.ok()) << totals.error().message();
    return totals.ok() ? *totals : ExportScopeTotals{};
  }

  static std::int64_t Instances(const ExportScopeTotals& totals) {
    std::int64_t n = 0;
    for (const auto& g : totals.groups) n += g.instances;
    return n;
  }

  RowId north_ = 0;
  RowId south_ = 0;
};

TEST_P(EstimateSumsTest, GroupsAHospitalByGeometryAndSyntax) {
  const ExportScopeTotals totals = Sum({ExportScopeQuery::Kind::kHospital, {}});
  EXPECT_EQ(totals.patients, 2);
  EXPECT_EQ(totals.studies, 3);
  ASSERT_EQ(totals.groups.size(), 3u);
  const auto find = [&](auto predicate) {
    return *std::find_if(totals.groups.begin(), totals.groups.end(), predicate);
  };
  const InstanceGroupTotals ct =
      find([](const InstanceGroupTotals& g) { return g.rows == 512 && !g.encapsulated; });
  EXPECT_EQ(ct.instances, 2);
  EXPECT_EQ(ct.frames, 2);
  EXPECT_EQ(ct.bytes, 2000);
  EXPECT_EQ(ct.measured_bytes, 2000);
  EXPECT_EQ(ct.deflated_bytes, 500);
  EXPECT_EQ(ct.columns, 512);
  EXPECT_EQ(ct.samples_per_pixel, 1);
  EXPECT_EQ(ct.bits_allocated, 16);
  // Study UIDs and Patient IDs: ("1.1" + "P1") twice.
  EXPECT_EQ(ct.folder_chars, 10);
  EXPECT_EQ(ct.frame_folder_chars, 10);
  EXPECT_GT(ct.text_chars, 2 * 64);  // two SHA-256s at least

  const InstanceGroupTotals rgb = find([](const InstanceGroupTotals& g) { return g.encapsulated; });
  EXPECT_EQ(rgb.instances, 1);
  EXPECT_EQ(rgb.frames, 3);
  EXPECT_EQ(rgb.bytes, 5000);
  EXPECT_EQ(rgb.measured_bytes, 0);
  EXPECT_EQ(rgb.frame_folder_chars, 3 * 5);

  const InstanceGroupTotals old =
      find([](const InstanceGroupTotals& g) { return g.rows == 0 && !g.encapsulated; });
  EXPECT_EQ(old.bytes, 700);
  EXPECT_EQ(old.measured_bytes, 0);
  EXPECT_EQ(old.deflated_bytes, 0);
}

TEST_P(EstimateSumsTest, ScopesToStudiesAndPatientsOfTheHospital) {
  ExportScopeTotals study = Sum({ExportScopeQuery::Kind::kStudies, {"1.1"}});
  EXPECT_EQ(study.studies, 1);
  EXPECT_EQ(study.patients, 1);
  EXPECT_EQ(Instances(study), 2);
  ASSERT_EQ(study.groups.size(), 1u);
  EXPECT_EQ(study.groups[0].bytes, 2000);  // not South's 99999

  ExportScopeTotals two = Sum({ExportScopeQuery::Kind::kStudies, {"1.2", "2.1", "9.9"}});
  EXPECT_EQ(two.studies, 2) << "an unknown UID is not counted; the caller refuses";
  EXPECT_EQ(two.patients, 2);
  EXPECT_EQ(Instances(two), 2);

  ExportScopeTotals patient = Sum({ExportScopeQuery::Kind::kPatients, {"P1"}});
  EXPECT_EQ(patient.patients, 1);
  EXPECT_EQ(patient.studies, 2);
  EXPECT_EQ(Instances(patient), 3);
  EXPECT_GT(patient.patient_text_chars, 0);
  EXPECT_GT(patient.study_text_chars, 0);

  ExportScopeTotals none = Sum({ExportScopeQuery::Kind::kPatients, {"NOBODY"}});
  EXPECT_EQ(none.patients, 0);
  EXPECT_TRUE(none.groups.empty());

  auto other = index_->SumExportScope(south_, {ExportScopeQuery::Kind::kPatients, {"P2"}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->patients, 0) << "another hospital's patient";
}

TEST_P(EstimateSumsTest, RefusesTooManyIds) {
  ExportScopeQuery query{ExportScopeQuery::Kind::kStudies,
                         std::vector<std::string>(kMaxScopeIds + 1, "1.1")};
  auto totals = index_->SumExportScope(north_, query);
  ASSERT_FALSE(totals.ok());
  EXPECT_EQ(totals.error().code(), ErrorCode::kInvalidInput);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(EstimateSumsTest);
}  // namespace
}  // namespace pacsport
