// EstimateExport on a real SQLite index: refusals as planning, the parts of a ZIP's
// size, and the model's arithmetic (EstimateFromTotals) on hand-made sums.
#include "export/export_estimate.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

class EstimateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    north_ = index_->AddHospital("North").ValueOrThrow();
    const RowId south = index_->AddHospital("South").ValueOrThrow();
    admin_ = Principal{"alice", north_, "North", Role::kAdmin};
    user_ = Principal{"bob", north_, "North", Role::kUser};
    Add(north_, "P1", "1.2.3.1", 100000, 20000);
    Add(north_, "P1", "1.2.3.2", 100000, 30000);
    Add(south, "P9", "1.2.3.9", 100000, 20000);
  }

  void Add(RowId hospital, const std::string& patient_id, const std::string& study_uid,
           std::int64_t size, std::int64_t deflated) {
    StoredInstance s;
    s.metadata.patient_id = patient_id;
    s.metadata.study_instance_uid = study_uid;
    s.metadata.series_instance_uid = study_uid + ".1";
    s.metadata.sop_instance_uid = study_uid + ".1.1";
    s.metadata.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    s.metadata.number_of_frames = 1;
    s.metadata.rows = 256;
    s.metadata.columns = 256;
    s.metadata.samples_per_pixel = 1;
    s.metadata.bits_allocated = 16;
    s.size = size;
    s.deflated_size = deflated;
    s.sha256 = "sha-" + s.metadata.sop_instance_uid;
    s.location = {"local", s.sha256};
    ASSERT_TRUE(index_->AddInstance(hospital, s).ok());
  }

  static ExportRequest Request(ExportScope scope, std::string target = "") {
    ExportRequest request;
    request.scope = scope;
    request.target = std::move(target);
    return request;
  }

  Result<ExportEstimate> Estimate(const Principal& who, const ExportRequest& request) {
    return EstimateExport(*index_, who, request, SystemTime{});
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  RowId north_ = 0;
  Principal admin_;
  Principal user_;
};

TEST_F(EstimateTest, RefusesAsPlanningDoes) {
  EXPECT_EQ(Estimate(user_, Request(ExportScope::kStudy, "1.2.3.9")).error().code(),
            ErrorCode::kNotFound)
      << "another hospital's study";
  EXPECT_EQ(Estimate(user_, Request(ExportScope::kPatient, "P9")).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(Estimate(user_, Request(ExportScope::kStudy, "1.2.")).error().code(),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(Estimate(user_, Request(ExportScope::kAll)).error().code(), ErrorCode::kForbidden);
  ExportRequest batch = Request(ExportScope::kStudies);
  EXPECT_EQ(Estimate(user_, batch).error().code(), ErrorCode::kInvalidInput) << "no ids";
  batch.targets = {"1.2.3.1", "1.2.3.9"};
  EXPECT_EQ(Estimate(user_, batch).error().code(), ErrorCode::kNotFound);
  batch.targets = {"1.2.3.1", "1.2.3.2"};
  auto both = Estimate(user_, batch);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->studies, 2);
  ExportRequest patients = Request(ExportScope::kPatients);
  patients.targets = {"P1", "P9"};
  EXPECT_EQ(Estimate(user_, patients).error().code(), ErrorCode::kNotFound);
}

TEST_F(EstimateTest, ZipPartsFollowTheOptions) {
  auto all = Estimate(admin_, Request(ExportScope::kAll));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->studies, 2);
  EXPECT_EQ(all->instances, 2);
  EXPECT_EQ(all->dicom_bytes, 200000);
  EXPECT_EQ(all->frames, 2);
  // Level 9 from the level-1 sizes measured at ingest.
  EXPECT_NEAR(all->estimated_dicom_bytes, 50000, 2000);
  EXPECT_GT(all->estimated_preview_bytes, 0);
  EXPECT_GT(all->estimated_bytes, all->estimated_dicom_bytes + all->estimated_preview_bytes);

  ExportRequest stored = Request(ExportScope::kAll);
  stored.options.compression_level = 0;
  stored.options.previews = IncludePreviews::kNo;
  auto level0 = Estimate(admin_, stored);
  ASSERT_TRUE(level0.ok());
  EXPECT_EQ(level0->estimated_dicom_bytes, 200000) << "compression=0 stores every file";
  EXPECT_EQ(level0->estimated_preview_bytes, 0);

  ExportRequest json = Request(ExportScope::kPatient, "P1");
  json.options.format = ExportFormat::kJson;
  auto document = Estimate(admin_, json);
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->estimated_dicom_bytes, 0);
  EXPECT_EQ(document->estimated_preview_bytes, 0);
  EXPECT_GT(document->estimated_bytes, 2 * 64) << "the document names two SHA-256s";
}

TEST(EstimateModelTest, EncapsulatedFilesAreStoredAndPreviewsScaleWithTheirSize) {
  ExportScopeTotals totals;
  totals.patients = 1;
  totals.studies = 1;
  InstanceGroupTotals jpeg;
  jpeg.rows = 1024;
  jpeg.columns = 1024;
  jpeg.samples_per_pixel = 1;
  jpeg.bits_allocated = 16;
  jpeg.encapsulated = true;
  jpeg.instances = 10;
  jpeg.frames = 10;
  jpeg.bytes = 5'000'000;
  totals.groups.push_back(jpeg);
  ExportRequest request;
  request.scope = ExportScope::kStudy;
  request.target = "1.2.3";
  const Principal admin{"alice", 1, "North", Role::kAdmin};
  const ExportEstimate full = EstimateFromTotals(totals, admin, request);
  EXPECT_EQ(full.estimated_dicom_bytes, 5'000'000);
  // A grey preview is at least 0.12 bytes per pixel.
  EXPECT_GE(full.estimated_preview_bytes, 10 * 1024 * 1024 * 12 / 100);
  request.options.preview_max_side = 256;
  const ExportEstimate small = EstimateFromTotals(totals, admin, request);
  EXPECT_LT(small.estimated_preview_bytes * 8, full.estimated_preview_bytes)
      << "previews at 256 px have a sixteenth of the pixels";

  // Instances indexed before their geometry was recorded: a fixed size per frame.
  totals.groups[0].rows.reset();
  request.options.preview_max_side = 0;
  EXPECT_EQ(EstimateFromTotals(totals, admin, request).estimated_preview_bytes,
            10 * kPreviewBytesPerFrame);
}

}  // namespace
}  // namespace pacsport
