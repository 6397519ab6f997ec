#include "index/index_test_util.h"

#include <stdlib.h>

namespace pacsport {

void IndexTest::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pacsport-index-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  db_path_ = dir_ / "index.db";
  auto opened = OpenSqliteIndex(db_path_.string());
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  index_ = std::move(opened).value();
}

void IndexTest::TearDown() {
  index_.reset();
  std::filesystem::remove_all(dir_);
}

void IndexTest::Reopen() {
  index_.reset();
  auto opened = OpenSqliteIndex(db_path_.string());
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  index_ = std::move(opened).value();
}

RowId IndexTest::Hospital(const std::string& name) {
  auto id = index_->AddHospital(name);
  EXPECT_TRUE(id.ok()) << id.error().message();
  return id.ok() ? *id : 0;
}

void IndexTest::Add(RowId hospital, const StoredInstance& instance) {
  auto added = index_->AddInstance(hospital, instance);
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(*added, IngestOutcome::kAdded) << instance.metadata.sop_instance_uid;
}

StoredInstance MakeInstance(const std::string& patient_id, const std::string& study_uid,
                            const std::string& series_uid, const std::string& sop_uid,
                            std::optional<std::int64_t> series_number,
                            std::optional<std::int64_t> instance_number,
                            const std::string& modality) {
  StoredInstance s;
  InstanceMetadata& m = s.metadata;
  m.patient_id = patient_id;
  m.patient_name = "NAME^" + patient_id;
  m.patient_birth_date = "19700101";
  m.patient_sex = "O";
  m.study_instance_uid = study_uid;
  m.study_date = "20240102";
  m.study_time = "101500";
  m.study_description = "Study " + study_uid;
  m.accession_number = "ACC" + study_uid;
  m.series_instance_uid = series_uid;
  m.series_number = series_number;
  m.modality = modality;
  m.series_description = "Series " + series_uid;
  m.sop_instance_uid = sop_uid;
  m.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  m.instance_number = instance_number;
  m.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  m.number_of_frames = 1;
  s.size = static_cast<std::int64_t>(sop_uid.size()) * 100;
  s.sha256 = "sha-" + sop_uid;
  s.orthanc_instance_id = "orthanc-" + sop_uid;
  s.location = {"local", "sha-" + sop_uid};
  return s;
}

}  // namespace pacsport
