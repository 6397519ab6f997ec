// Pseudonyms of one research project: what replaces a patient's identity, the UIDs
// and the dates of the data a project receives, derived by HMAC-SHA256 under the
// project's key (project_keys.h). The same original gives the same pseudonym within
// a project, in every export; without the key, a pseudonym tells nothing of the
// original, and two projects' pseudonyms of one patient cannot be linked. Nothing is
// stored: there is no mapping table to leak. Thread-safe: an immutable value.
#pragma once

#include <string>
#include <string_view>

#include "deid/hmac_sha256.h"

namespace pacsport::deid {

using ProjectKey = Key256;

class Pseudonyms {
 public:
  explicit Pseudonyms(const ProjectKey& key) : key_(key) {}

  // A Patient ID (LO) for the original Patient ID: "ANON-" and 16 base32 characters
  // (80 bits), e.g. "ANON-K3J2QX7MBD4RT5AZ".
  std::string PatientId(std::string_view original_patient_id) const;
  // A UID for an original UID: "2.25." and the decimal of 128 bits (PS3.5 B.2).
  std::string Uid(std::string_view original_uid) const;
  // How many days a patient's dates move back: 1 to 3650, the same for every date
  // of the patient in the project, so intervals between them are kept.
  int DateShiftDays(std::string_view original_patient_id) const;

 private:
  // HMAC-SHA256 of `purpose`, a NUL and `value`.
  Key256 Mac(std::string_view purpose, std::string_view value) const;

  ProjectKey key_;
};

// The date "YYYYMMDD" moved back `days` days, as "YYYYMMDD"; "" when `date` is no
// such date.
std::string ShiftDate(const std::string& date, int days);

}  // namespace pacsport::deid
