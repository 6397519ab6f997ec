// PlanExport's folder names and the metadata document that records them, on a real
// SQLite index holding instances with IDs that are awkward as folder names.
#include "export/planner.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "export/metadata_document.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

class PlannerFoldersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    hospital_ = index_->AddHospital("North").ValueOrThrow();
    admin_ = Principal{"alice", hospital_, "North", Role::kAdmin};
    int n = 0;
    for (const char* patient_id : {"ab", "AB", "CON", "lpt1.txt", "...", "dot.", "P"}) {
      ++n;
      Add(patient_id, "1.2.3." + std::to_string(n));
    }
    Add("P", "1.2.3.99");  // a second study of patient P
  }

  void Add(const std::string& patient_id, const std::string& study_uid) {
    StoredInstance s;
    s.metadata.patient_id = patient_id;
    s.metadata.patient_name = "NAME^" + patient_id;
    s.metadata.study_instance_uid = study_uid;
    s.metadata.study_date = "20240102";
    s.metadata.series_instance_uid = study_uid + ".1";
    s.metadata.sop_instance_uid = study_uid + ".1.1";
    s.metadata.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    s.size = 100;
    s.sha256 = "sha-" + s.metadata.sop_instance_uid;
    s.location = {"local", s.sha256};
    ASSERT_TRUE(index_->AddInstance(hospital_, s).ok());
  }

  ExportPlan Plan(ExportScope scope, const std::string& target = "",
                  IncludeImages images = IncludeImages::kYes) {
    ExportRequest request;
    request.scope = scope;
    request.target = target;
    request.options.include_images = images;
    return PlanExport(*index_, admin_, request, SystemTime{}).ValueOrThrow();
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  RowId hospital_ = 0;
  Principal admin_;
};

TEST_F(PlannerFoldersTest, ExportAllGivesEveryPatientAPortableDistinctFolder) {
  const ExportPlan plan = Plan(ExportScope::kAll);
  std::map<std::string, std::string> folder_of;
  for (const PlannedPatient& patient : plan.patients) {
    folder_of[patient.patient.patient_id] = patient.folder;
    for (const PlannedStudy& study : patient.studies) {
      EXPECT_EQ(study.folder, patient.folder + "/studies/" + study.study.study_instance_uid);
      for (const PlannedInstance& instance : study.instances) {
        EXPECT_EQ(instance.dicom_entry.rfind(study.folder + "/", 0), 0u) << instance.dicom_entry;
      }
    }
  }
  EXPECT_EQ(folder_of["CON"], "patients/_CON");
  EXPECT_EQ(folder_of["lpt1.txt"], "patients/_lpt1.txt");
  EXPECT_EQ(folder_of["..."], "patients/unknown");
  EXPECT_EQ(folder_of["dot."], "patients/dot");
  EXPECT_EQ(folder_of["P"], "patients/P");
  // Listed by name ignoring case, then ID: "AB" comes before "ab".
  EXPECT_EQ(folder_of["AB"], "patients/AB");
  EXPECT_EQ(folder_of["ab"], "patients/ab_2");
}

TEST_F(PlannerFoldersTest, TheMetadataRecordsEachFolderBesideTheRealId) {
  const ExportPlan plan = Plan(ExportScope::kAll);
  const auto document = nlohmann::json::parse(BuildMetadataDocument(plan, {}, true, SystemTime{}));
  std::map<std::string, std::string> folder_of;
  for (const auto& patient : document["patients"]) {
    folder_of[patient["patientID"]] = patient["folder"];
  }
  EXPECT_EQ(folder_of["CON"], "patients/_CON");
  EXPECT_EQ(folder_of["ab"], "patients/ab_2");
  for (const auto& study : document["studies"]) {
    EXPECT_EQ(study["folder"], folder_of[study["patientID"]] + "/studies/" +
                                   study["studyInstanceUID"].get<std::string>());
  }
  // Without files in the archive, there are no folders to name.
  const auto bare = nlohmann::json::parse(
      BuildMetadataDocument(Plan(ExportScope::kAll, "", IncludeImages::kNo), {}, false, {}));
  for (const auto& patient : bare["patients"]) EXPECT_TRUE(patient["folder"].is_null());
  for (const auto& study : bare["studies"]) EXPECT_TRUE(study["folder"].is_null());
}

TEST_F(PlannerFoldersTest, PatientAndStudyExportsNameOnlyTheFoldersTheirLayoutHas) {
  const ExportPlan patient_plan = Plan(ExportScope::kPatient, "P");
  const auto patient_doc =
      nlohmann::json::parse(BuildMetadataDocument(patient_plan, {}, true, SystemTime{}));
  EXPECT_TRUE(patient_doc["patient"]["folder"].is_null());
  ASSERT_EQ(patient_doc["studies"].size(), 2u);
  EXPECT_EQ(patient_doc["studies"][0]["folder"], "studies/1.2.3.7");
  EXPECT_EQ(patient_doc["studies"][1]["folder"], "studies/1.2.3.99");
  EXPECT_EQ(patient_doc["instances"][0]["file"], "studies/1.2.3.7/1.dcm");

  const ExportPlan study_plan = Plan(ExportScope::kStudy, "1.2.3.3");
  const auto study_doc =
      nlohmann::json::parse(BuildMetadataDocument(study_plan, {}, true, SystemTime{}));
  EXPECT_TRUE(study_doc["patient"]["folder"].is_null());
  EXPECT_TRUE(study_doc["study"]["folder"].is_null());
  EXPECT_EQ(study_doc["instances"][0]["file"], "dicom/1.dcm");
}

ExportPlan PlanBatch(Index& index, const Principal& principal, ExportScope scope,
                     std::vector<std::string> ids) {
  ExportRequest request;
  request.scope = scope;
  request.targets = std::move(ids);
  return PlanExport(index, principal, request, SystemTime{}).ValueOrThrow();
}

TEST_F(PlannerFoldersTest, BatchOfStudiesGroupsThemUnderTheirPatientsInTheOrderNamed) {
  const ExportPlan plan =
      PlanBatch(*index_, admin_, ExportScope::kStudies, {"1.2.3.99", "1.2.3.1", "1.2.3.7"});
  ASSERT_EQ(plan.patients.size(), 2u);
  EXPECT_EQ(plan.patients[0].patient.patient_id, "P");
  ASSERT_EQ(plan.patients[0].studies.size(), 2u);
  EXPECT_EQ(plan.patients[0].studies[0].study.study_instance_uid, "1.2.3.99");
  EXPECT_EQ(plan.patients[0].studies[1].study.study_instance_uid, "1.2.3.7");
  EXPECT_EQ(plan.patients[0].studies[1].folder, plan.patients[0].folder + "/studies/1.2.3.7");
  EXPECT_EQ(plan.patients[1].patient.patient_id, "ab");
  EXPECT_EQ(plan.instance_count, 3);
  EXPECT_EQ(plan.metadata_name, "batch_data.json");
  EXPECT_EQ(plan.archive_name.rfind("batch_export_", 0), 0u);
}

TEST_F(PlannerFoldersTest, BatchOfPatientsHoldsEachWithAllItsStudies) {
  const ExportPlan plan = PlanBatch(*index_, admin_, ExportScope::kPatients, {"P", "CON"});
  ASSERT_EQ(plan.patients.size(), 2u);
  EXPECT_EQ(plan.patients[0].studies.size(), 2u);
  EXPECT_EQ(plan.patients[1].folder, "patients/_CON");
  const auto document = nlohmann::json::parse(BuildMetadataDocument(plan, {}, true, SystemTime{}));
  EXPECT_EQ(document["patients"].size(), 2u);
  EXPECT_EQ(document["studies"].size(), 3u);
  EXPECT_EQ(document["metadata"]["exportType"], "patients");
}

TEST_F(PlannerFoldersTest, BatchNamingAnotherHospitalsStudyIsNotFoundAndAnEmptyOneInvalid) {
  const RowId south = index_->AddHospital("South").ValueOrThrow();
  const Principal other{"bob", south, "South", Role::kAdmin};
  ExportRequest request;
  request.scope = ExportScope::kStudies;
  request.targets = {"1.2.3.1"};
  EXPECT_EQ(PlanExport(*index_, other, request, SystemTime{}).error().code(), ErrorCode::kNotFound);
  request.targets.clear();
  EXPECT_EQ(PlanExport(*index_, admin_, request, SystemTime{}).error().code(),
            ErrorCode::kInvalidInput);
}

// A series export: the study's layout (no folders, dicom/N.dcm) holding that series'
// instances alone, the study counted as holding only them; isolated by hospital.
TEST_F(PlannerFoldersTest, SeriesExportHoldsThatSeriesAloneInTheStudyLayout) {
  for (const char* sop : {"1.2.3.99.2.1", "1.2.3.99.2.2"}) {
    StoredInstance s;
    s.metadata.patient_id = "P";
    s.metadata.study_instance_uid = "1.2.3.99";
    s.metadata.series_instance_uid = "1.2.3.99.2";
    s.metadata.sop_instance_uid = sop;
    s.metadata.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
    s.size = 70;
    s.sha256 = std::string("sha-") + sop;
    s.location = {"local", s.sha256};
    ASSERT_TRUE(index_->AddInstance(hospital_, s).ok());
  }
  const ExportPlan plan = Plan(ExportScope::kSeries, "1.2.3.99.2");
  EXPECT_EQ(plan.archive_name, "series_1.2.3.99.2_export.zip");
  EXPECT_EQ(plan.metadata_name, "study_data.json");
  EXPECT_EQ(plan.instance_count, 2);
  EXPECT_EQ(plan.dicom_bytes, 140);
  ASSERT_EQ(plan.patients.size(), 1u);
  EXPECT_EQ(plan.patients[0].folder, "");
  ASSERT_EQ(plan.patients[0].studies.size(), 1u);
  const PlannedStudy& study = plan.patients[0].studies[0];
  EXPECT_EQ(study.folder, "");
  EXPECT_EQ(study.study.study_instance_uid, "1.2.3.99");
  EXPECT_EQ(study.study.number_of_series, 1);
  EXPECT_EQ(study.study.number_of_instances, 2);
  EXPECT_EQ(study.study.total_bytes, 140);
  ASSERT_EQ(study.instances.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(study.instances[i].record.series_instance_uid, "1.2.3.99.2");
    EXPECT_EQ(study.instances[i].dicom_entry, "dicom/" + std::to_string(i + 1) + ".dcm");
  }
  // The study's other series stays out; the study's own export still holds both.
  EXPECT_EQ(Plan(ExportScope::kStudy, "1.2.3.99").patients[0].studies[0].instances.size(), 3u);

  const RowId south = index_->AddHospital("South").ValueOrThrow();
  ExportRequest request;
  request.scope = ExportScope::kSeries;
  request.target = "1.2.3.99.2";
  EXPECT_EQ(
      PlanExport(*index_, Principal{"bob", south, "South", Role::kAdmin}, request, SystemTime{})
          .error()
          .code(),
      ErrorCode::kNotFound);
  request.target = "1.2.3.99.7";
  EXPECT_EQ(PlanExport(*index_, admin_, request, SystemTime{}).error().code(),
            ErrorCode::kNotFound);
  request.target = "1.2.abc";
  EXPECT_EQ(PlanExport(*index_, admin_, request, SystemTime{}).error().code(),
            ErrorCode::kInvalidInput);
}

// The outcomes of a map, handed out in the order of `plan`'s instances.
class MapOutcomes : public OutcomeSource {
 public:
  MapOutcomes(const ExportPlan& plan, const InstanceOutcomes& outcomes) {
    for (const PlannedPatient& patient : plan.patients) {
      for (const PlannedStudy& study : patient.studies) {
        for (const PlannedInstance& instance : study.instances) {
          const auto it = outcomes.find(instance.record.id);
          ordered_.push_back(it == outcomes.end() ? InstanceOutcome{} : it->second);
        }
      }
    }
  }
  Result<InstanceOutcome> Next() override {
    if (next_ == ordered_.size()) return Internal("no more outcomes");
    return ordered_[next_++];
  }

 private:
  std::vector<InstanceOutcome> ordered_;
  std::size_t next_ = 0;
};

// Issue 13: the document streamed from walks of the plan's snapshot is, byte for
// byte, the one built in memory, for every scope, with and without images and
// previews (awkward names, invalid UTF-8, AI results, several instances included).
TEST_F(PlannerFoldersTest, StreamedDocumentIsTheDocumentBuiltInMemory) {
  for (int i = 0; i < 5; ++i) {
    StoredInstance s;
    s.metadata.patient_id = "P";
    s.metadata.patient_name = "NAME^\xff\xfe broken";
    s.metadata.study_instance_uid = "1.2.3.99";
    s.metadata.series_instance_uid = "1.2.3.99." + std::to_string(2 + i % 2);
    if (i != 3) s.metadata.series_number = 2 + i % 2;
    s.metadata.sop_instance_uid = "1.2.3.99.9." + std::to_string(i);
    if (i != 1) s.metadata.instance_number = 5 - i;
    s.metadata.number_of_frames = i;
    s.size = 1000 + i;
    s.sha256 = "sha-" + s.metadata.sop_instance_uid;
    s.location = {"local", s.sha256};
    ASSERT_TRUE(index_->AddInstance(hospital_, s).ok());
  }
  ASSERT_TRUE(index_
                  ->SetAiAnalysis(hospital_, "1.2.3.99", R"({"finding": "none", "score": 0.5})",
                                  {"model-a"}, "2026-01-02T03:04:05Z")
                  .ok());
  struct Case {
    ExportScope scope;
    std::string target;
    std::vector<std::string> targets;
  };
  const std::vector<Case> cases = {
      {ExportScope::kAll, "", {}},
      {ExportScope::kPatient, "P", {}},
      {ExportScope::kStudy, "1.2.3.99", {}},
      {ExportScope::kStudies, "", {"1.2.3.99", "1.2.3.1", "1.2.3.7", "1.2.3.2"}},
      {ExportScope::kPatients, "", {"P", "CON", "ab"}},
  };
  const SystemTime at = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3};
  for (const Case& c : cases) {
    for (IncludeImages images : {IncludeImages::kYes, IncludeImages::kNo}) {
      ExportRequest request;
      request.scope = c.scope;
      request.target = c.target;
      request.targets = c.targets;
      request.options.include_images = images;
      const bool with_images = images == IncludeImages::kYes;
      const ExportPlan whole = PlanExport(*index_, admin_, request, at).ValueOrThrow();
      auto streamed = OpenExportPlan(*index_, admin_, request, at).ValueOrThrow();
      ASSERT_TRUE(streamed->CountTotals().ok());
      EXPECT_EQ(streamed->summary().instance_count, whole.instance_count);
      EXPECT_EQ(streamed->summary().dicom_bytes, whole.dicom_bytes);

      InstanceOutcomes outcomes;
      int n = 0;
      for (const PlannedPatient& patient : whole.patients) {
        for (const PlannedStudy& study : patient.studies) {
          for (const PlannedInstance& instance : study.instances) {
            InstanceOutcome& outcome = outcomes[instance.record.id];
            if (++n % 3 == 0) {
              outcome.preview_error = "frame 0: rendering crashed (SIGSEGV) \x01\xc3";
            } else {
              for (int k = 0; k < n % 3; ++k) {
                outcome.previews.push_back(study.preview_directory + "frame_" + std::to_string(k) +
                                           ".png");
              }
            }
          }
        }
      }
      for (bool with_outcomes : {false, true}) {
        const std::string expected = BuildMetadataDocument(
            whole, with_outcomes ? outcomes : InstanceOutcomes{}, with_images, at);
        MapOutcomes source(whole, outcomes);
        std::string document;
        std::size_t pieces = 0;
        const Status written = WriteMetadataDocument(*streamed, with_outcomes ? &source : nullptr,
                                                     with_images, at, [&](std::string_view piece) {
                                                       document.append(piece);
                                                       ++pieces;
                                                       return Status::Ok();
                                                     });
        ASSERT_TRUE(written.ok()) << written.error().message();
        EXPECT_EQ(document, expected) << ScopeName(c.scope) << " images " << with_images;
        EXPECT_GE(pieces, 1u);
      }
    }
  }
}

TEST_F(PlannerFoldersTest, AWalkGivesTheSameTwiceAndHoldsOneStudyAtATime) {
  ExportRequest request;
  request.scope = ExportScope::kAll;
  auto plan = OpenExportPlan(*index_, admin_, request, SystemTime{}).ValueOrThrow();
  auto folders = [&]() {
    std::vector<std::string> seen;
    PlanWalk walk = plan->Walk(WalkDepth::kInstances);
    while (true) {
      auto step = walk.Next();
      EXPECT_TRUE(step.ok());
      if (!step.ok() || *step == PlanWalk::Step::kEnd) return seen;
      if (*step == PlanWalk::Step::kPatient) {
        seen.push_back(walk.patient().folder);
      } else {
        seen.push_back(walk.study()->folder);
        for (const PlannedInstance& i : walk.study()->instances) seen.push_back(i.dicom_entry);
      }
    }
  };
  const std::vector<std::string> first = folders();
  // A patient whose folder would clash with "ab"'s and "AB"'s, added after planning.
  Add("Ab", "1.2.3.50");
  EXPECT_EQ(folders(), first);
  EXPECT_EQ(first.size(), 7u + 8u + 8u);  // patients, studies, instances
}

}  // namespace
}  // namespace pacsport
