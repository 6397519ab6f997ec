// Plain domain records shared by every layer: what pacsport knows about hospitals,
// users, patients, studies, series and instances. Values only; thread-safe to copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pacsport {

using RowId = std::int64_t;

// kResearcher: a user whose hospital may let it receive de-identified data only
// (export/deidentify_policy.h); otherwise as kUser.
enum class Role { kUser, kAdmin, kAi, kResearcher };
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Who is asking. Every index query that returns patient data is scoped by hospital_id.
// Changes to a hospital's studies, by their change sequence numbers: those numbered
// after `after` and up to `through` (index/index.h, Index::CurrentChangeSequence).
struct ChangeRange {
  std::int64_t after = 0;
  std::int64_t through = 0;
};

struct Principal {
  std::string username;
  RowId hospital_id = 0;
  std::string hospital_name;
  Role role = Role::kUser;
};

// The identifying and descriptive tags of one DICOM instance, as read from the file.
// Strings are as stored in the file (trailing padding removed), UTF-8 where the
// file's character set allows the conversion.
struct InstanceMetadata {
  std::string patient_id;
  std::string patient_name;
  std::string patient_birth_date;
  std::string patient_sex;
  std::string study_instance_uid;
  std::string study_date;
  std::string study_time;
  std::string study_description;
  std::string accession_number;
  std::string series_instance_uid;
  std::optional<std::int64_t> series_number;
  std::string modality;
  std::string series_description;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::optional<std::int64_t> instance_number;
  std::string transfer_syntax_uid;
  std::int64_t number_of_frames = 0;  // 0 when the object has no pixel data
  std::string orthanc_instance_id;    // the ID Orthanc gives this object
  // Rows, Columns, SamplesPerPixel and BitsAllocated of the pixel data; 0 when absent.
  std::int64_t rows = 0;
  std::int64_t columns = 0;
  std::int64_t samples_per_pixel = 0;
  std::int64_t bits_allocated = 0;
};

struct PatientRecord {
  RowId id = 0;
  std::string patient_id;
  std::string name;
  std::string birth_date;
  std::string sex;
  std::int64_t study_count = 0;
  std::string latest_study_date;
  std::int64_t total_bytes = 0;  // the stored size of all the patient's instances
};

struct StudyRecord {
  RowId id = 0;
  std::string study_instance_uid;
  std::string patient_id;
  std::string patient_name;
  std::string study_date;
  std::string study_time;
  std::string modality;  // the study's modalities joined by '\', as ModalitiesInStudy
  std::string study_description;
  std::string accession_number;
  std::int64_t number_of_series = 0;
  std::int64_t number_of_instances = 0;
  std::int64_t total_bytes = 0;
  std::optional<std::string> ai_analysis_json;  // a JSON object, verbatim
  std::vector<std::string> ai_models;
  std::string ai_analyzed_at;  // ISO 8601 UTC, empty when never analysed
};

// Where an instance's bytes live: a store ("local" or a configured PACS source)
// and the key within it (a SHA-256 for the local store, an Orthanc ID for Orthanc).
struct InstanceLocation {
  std::string source;
  std::string key;
};

struct InstanceRecord {
  RowId id = 0;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string patient_id;
  std::optional<std::int64_t> series_number;
  std::optional<std::int64_t> instance_number;
  std::int64_t number_of_frames = 0;
  std::string transfer_syntax_uid;
  std::int64_t size = 0;
  std::string sha256;
  std::string orthanc_instance_id;
  InstanceLocation location;
};

}  // namespace pacsport
