// Listings, search, paging and AI results of the index.
#include <gtest/gtest.h>

#include <set>

#include "index/index.h"
#include "index/index_test_util.h"

namespace pacsport {
namespace {

std::vector<std::string> PatientIds(const Page<PatientRecord>& page) {
  std::vector<std::string> ids;
  for (const auto& patient : page.items) ids.push_back(patient.patient_id);
  return ids;
}

std::vector<std::string> StudyUids(const Page<StudyRecord>& page) {
  std::vector<std::string> uids;
  for (const auto& study : page.items) uids.push_back(study.study_instance_uid);
  return uids;
}

class BrowseTest : public IndexTest {
 protected:
  // Adds a one-instance study of a patient with the given name.
  void AddStudy(const std::string& patient_id, const std::string& patient_name,
                const std::string& study_uid, const std::string& date = "20240101",
                const std::string& modality = "CT", const std::string& description = "") {
    StoredInstance instance =
        MakeInstance(patient_id, study_uid, study_uid + ".1", study_uid + ".1.1", 1, 1, modality);
    instance.metadata.patient_name = patient_name;
    instance.metadata.study_date = date;
    if (!description.empty()) instance.metadata.study_description = description;
    Add(hospital_, instance);
  }

  void SetUp() override {
    IndexTest::SetUp();
    hospital_ = Hospital("H");
  }

  RowId hospital_ = 0;
};

TEST_P(BrowseTest, SearchIsCaseInsensitiveAndTakesWildcardsLiterally) {
  AddStudy("PCT", "100% SMITH", "1");
  AddStudy("PX", "100X SMITH", "2");
  AddStudy("PU", "A_B", "3");
  AddStudy("PAXB", "AXB", "4");
  AddStudy("PBANG", "WOW!", "5");
  const auto search = [&](const std::string& term) {
    auto page = index_->ListPatients(hospital_, PatientQuery{term, {}});
    EXPECT_TRUE(page.ok());
    return PatientIds(*page);
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(search("smith"), (Ids{"PCT", "PX"}));
  EXPECT_EQ(search("100%"), Ids{"PCT"});
  EXPECT_EQ(search("%"), Ids{"PCT"});
  EXPECT_EQ(search("a_b"), Ids{"PU"});
  EXPECT_EQ(search("_"), Ids{"PU"});
  EXPECT_EQ(search("!"), Ids{"PBANG"});
  EXPECT_EQ(search("paxb"), Ids{"PAXB"});  // the Patient ID matches too
  EXPECT_EQ(search("nobody"), Ids{});
  EXPECT_EQ(search("").size(), 5u);

  StudyQuery studies;
  studies.search = "_";
  EXPECT_EQ(StudyUids(*index_->ListStudies(hospital_, studies)), Ids{"3"});
  studies.search = "%";
  EXPECT_EQ(StudyUids(*index_->ListStudies(hospital_, studies)), Ids{"1"});
}

TEST_P(BrowseTest, PagingReportsTotals) {
  for (int i = 0; i < 7; ++i) {
    AddStudy("P" + std::to_string(i), "NAME" + std::to_string(i), "1." + std::to_string(i),
             "2024010" + std::to_string(i));
  }
  std::set<std::string> seen;
  for (std::int64_t offset : {0, 3, 6}) {
    auto page = index_->ListPatients(hospital_, PatientQuery{"", {offset, 3}});
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->total, 7);
    EXPECT_EQ(page->items.size(), offset == 6 ? 1u : 3u);
    for (const auto& patient : page->items) EXPECT_TRUE(seen.insert(patient.patient_id).second);
  }
  EXPECT_EQ(seen.size(), 7u);
  auto beyond = index_->ListPatients(hospital_, PatientQuery{"", {10, 3}});
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->total, 7);
  EXPECT_TRUE(beyond->items.empty());

  StudyQuery q;
  q.page = {2, 2};
  auto studies = index_->ListStudies(hospital_, q);
  ASSERT_TRUE(studies.ok());
  EXPECT_EQ(studies->total, 7);
  EXPECT_EQ(StudyUids(*studies), (std::vector<std::string>{"1.4", "1.3"}));  // newest first
  q.search = "name";
  q.page = {0, 1};
  EXPECT_EQ(index_->ListStudies(hospital_, q)->total, 7);

  EXPECT_EQ(index_->ListPatients(hospital_, PatientQuery{"", {-1, 3}}).error().code(),
            ErrorCode::kInvalidInput);
  q.page = {0, -1};
  EXPECT_EQ(index_->ListStudies(hospital_, q).error().code(), ErrorCode::kInvalidInput);
}

TEST_P(BrowseTest, StudyFiltersAndSorts) {
  AddStudy("P1", "ZED", "1.1", "20240301", "MR", "brain");
  AddStudy("P1", "ZED", "1.2", "20240101", "CT", "Abdomen");
  AddStudy("P2", "ADAM", "1.3", "20240201", "US", "chest");
  Add(hospital_, MakeInstance("P2", "1.3", "1.3.2", "1.3.2.1", 2, 1, "CT"));
  AddStudy("P3", "MIA", "1.4", "", "XA", "Xray");

  using Uids = std::vector<std::string>;
  const auto list = [&](StudyQuery q) { return StudyUids(*index_->ListStudies(hospital_, q)); };
  StudyQuery q;
  EXPECT_EQ(list(q), (Uids{"1.1", "1.3", "1.2", "1.4"}));
  q.sort = StudySort::kDateAsc;
  EXPECT_EQ(list(q), (Uids{"1.2", "1.3", "1.1", "1.4"}));  // undated last
  q.sort = StudySort::kPatientName;
  EXPECT_EQ(list(q), (Uids{"1.3", "1.4", "1.1", "1.2"}));
  q.sort = StudySort::kModality;  // CT, CT\US, MR, XA
  EXPECT_EQ(list(q), (Uids{"1.2", "1.3", "1.1", "1.4"}));
  q.sort = StudySort::kDescription;  // case-insensitive: Abdomen, brain, chest, Xray
  EXPECT_EQ(list(q), (Uids{"1.2", "1.1", "1.3", "1.4"}));

  q.sort = StudySort::kPatientNameDesc;
  EXPECT_EQ(list(q), (Uids{"1.1", "1.2", "1.4", "1.3"}));  // ZED's newest study first
  q.sort = StudySort::kModalityDesc;
  EXPECT_EQ(list(q), (Uids{"1.4", "1.1", "1.3", "1.2"}));
  q.sort = StudySort::kDescriptionDesc;
  EXPECT_EQ(list(q), (Uids{"1.4", "1.3", "1.1", "1.2"}));

  q.sort = StudySort::kDateDesc;
  q.modalities = {"CT"};
  EXPECT_EQ(list(q), (Uids{"1.3", "1.2"}));
  q.modalities = {"C"};  // exact, not a substring
  EXPECT_EQ(list(q), Uids{});
  q.modalities = {"MR", "XA"};  // any of them
  EXPECT_EQ(list(q), (Uids{"1.1", "1.4"}));
  q.modalities.clear();
  q.patient_id = "P1";
  EXPECT_EQ(list(q), (Uids{"1.1", "1.2"}));
  q.patient_id = "P";
  EXPECT_EQ(list(q), Uids{});
  q.patient_id.reset();
  q.search = "ABDO";  // description
  EXPECT_EQ(list(q), Uids{"1.2"});
  q.search = "acc1.3";  // accession
  EXPECT_EQ(list(q), Uids{"1.3"});
  q.search = "1.4";  // study UID
  EXPECT_EQ(list(q), Uids{"1.4"});
  q.search = "adam";  // patient name
  EXPECT_EQ(list(q), Uids{"1.3"});

  auto mixed = index_->GetStudy(hospital_, "1.3");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->modality, "CT\\US");
  auto p1 = index_->GetPatient(hospital_, "P1");
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->study_count, 2);
  EXPECT_EQ(p1->latest_study_date, "20240301");
  EXPECT_EQ(p1->total_bytes, 2 * 700);  // SOP UIDs "1.1.1.1" and "1.2.1.1", 100 bytes a character

  const std::vector<ModalityCount> counts = *index_->ListModalityCounts(hospital_);
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0].modality, "CT");
  EXPECT_EQ(counts[0].studies, 2);
  EXPECT_EQ(counts[3].modality, "XA");
  EXPECT_EQ(counts[3].studies, 1);
  EXPECT_TRUE(index_->ListModalityCounts(Hospital("Empty"))->empty());
}

TEST_P(BrowseTest, StudyDateAccessionBirthDateAndAiFilters) {
  AddStudy("P1", "ZED", "1.1", "20240301");
  AddStudy("P1", "ZED", "1.2", "20240101");
  AddStudy("P2", "ADAM", "1.3", "20240201");
  AddStudy("P3", "MIA", "1.4", "");
  using Uids = std::vector<std::string>;
  const auto list = [&](StudyQuery q) { return StudyUids(*index_->ListStudies(hospital_, q)); };
  StudyQuery q;
  q.date_from = "20240201";
  EXPECT_EQ(list(q), (Uids{"1.1", "1.3"}));  // inclusive; undated studies left out
  q.date_to = "20240201";
  EXPECT_EQ(list(q), Uids{"1.3"});
  q.date_from.clear();
  EXPECT_EQ(list(q), (Uids{"1.3", "1.2"}));
  q.date_to.clear();

  q.accession = "cc1.2";  // a case-insensitive substring
  EXPECT_EQ(list(q), Uids{"1.2"});
  q.accession.clear();
  q.birth_date = "19700101";
  EXPECT_EQ(list(q).size(), 4u);
  q.birth_date = "19700102";
  EXPECT_EQ(list(q), Uids{});
  q.birth_date.clear();

  ASSERT_TRUE(index_->SetAiAnalysis(hospital_, "1.2", "{}", {"m"}, "2024-05-06T07:08:09Z").ok());
  q.has_ai = true;
  EXPECT_EQ(list(q), Uids{"1.2"});
  q.has_ai = false;
  EXPECT_EQ(list(q), (Uids{"1.1", "1.3", "1.4"}));
}

TEST_P(BrowseTest, NamesAreSearchedByWordsInAnyOrderWithoutCaseOrAccents) {
  AddStudy("P1", "Doe^Peter", "1.1", "20240101", "CT", "Chest CT");
  AddStudy("P2", "Müller^Jürgen", "1.2");
  AddStudy("P3", "Peters^Jane", "1.3");
  using Ids = std::vector<std::string>;
  const auto search = [&](const std::string& term) {
    return PatientIds(*index_->ListPatients(hospital_, PatientQuery{term, {}}));
  };
  EXPECT_EQ(search("Doe, Peter"), Ids{"P1"});
  EXPECT_EQ(search("Peter Doe"), Ids{"P1"});
  EXPECT_EQ(search("doe peter"), Ids{"P1"});
  EXPECT_EQ(search("Doé^Peter"), Ids{"P1"});
  EXPECT_EQ(search("peter"), (Ids{"P1", "P3"}));
  EXPECT_EQ(search("MULLER jurgen"), Ids{"P2"});
  EXPECT_EQ(search("müller"), Ids{"P2"});
  EXPECT_EQ(search("doe jane"), Ids{});

  StudyQuery q;
  q.search = "Doe, Peter";
  EXPECT_EQ(StudyUids(*index_->ListStudies(hospital_, q)), Ids{"1.1"});
  q.search = "peter chest";  // one word of the name, one of the description
  EXPECT_EQ(StudyUids(*index_->ListStudies(hospital_, q)), Ids{"1.1"});
}

TEST_P(BrowseTest, PatientsWithoutAPatientIdAreNotListed) {
  AddStudy("", "ANON^ONE", "1.1");
  AddStudy("", "ANON^TWO", "1.2");
  AddStudy("P1", "DOE^JOHN", "1.3");
  auto patients = index_->ListPatients(hospital_, PatientQuery{"", {}});
  ASSERT_TRUE(patients.ok());
  EXPECT_EQ(PatientIds(*patients), std::vector<std::string>{"P1"});
  EXPECT_EQ(patients->total, 1);
  StudyQuery unidentified;
  unidentified.patient_id = "";
  EXPECT_EQ(StudyUids(*index_->ListStudies(hospital_, unidentified)),
            (std::vector<std::string>{"1.1", "1.2"}));
}

TEST_P(BrowseTest, AiAnalysisRoundTrip) {
  AddStudy("P1", "ZED", "1.1");
  const RowId other = Hospital("Other");
  const std::string analysis = R"({"findings":[{"label":"nodule","score":0.91}],"ok":true})";
  ASSERT_TRUE(index_
                  ->SetAiAnalysis(hospital_, "1.1", analysis, {"lung-v2", "triage \"x\""},
                                  "2024-05-06T07:08:09.000Z")
                  .ok());
  auto study = index_->GetStudy(hospital_, "1.1");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->ai_analysis_json, analysis);
  EXPECT_EQ(study->ai_models, (std::vector<std::string>{"lung-v2", "triage \"x\""}));
  EXPECT_EQ(study->ai_analyzed_at, "2024-05-06T07:08:09.000Z");
  auto listed = index_->ListStudies(hospital_, {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].ai_models, study->ai_models);

  ASSERT_TRUE(index_->SetAiAnalysis(hospital_, "1.1", "{}", {}, "2024-06-01T00:00:00.000Z").ok());
  study = index_->GetStudy(hospital_, "1.1");
  EXPECT_EQ(study->ai_analysis_json, "{}");
  EXPECT_TRUE(study->ai_models.empty());

  EXPECT_EQ(index_->SetAiAnalysis(hospital_, "9.9", "{}", {}, "t").error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(index_->SetAiAnalysis(other, "1.1", "{}", {}, "t").error().code(),
            ErrorCode::kNotFound);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(BrowseTest);
}  // namespace
}  // namespace pacsport
