// Cryptographic digests over OpenSSL's EVP interface, as lowercase hex.
// Sha256 is incremental and single-threaded; the free functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace pacsport {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // Returns the digest as 64 hex digits. Requires: called once, after every Update.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Sha256Hex(std::string_view bytes);
std::string Sha1Hex(std::string_view bytes);

// Orthanc's public ID of an instance: SHA-1 of "PatientID|StudyUID|SeriesUID|SOPUID",
// 40 hex digits in five groups of eight joined by '-'.
std::string OrthancInstanceId(std::string_view patient_id, std::string_view study_uid,
                              std::string_view series_uid, std::string_view sop_uid);

}  // namespace pacsport
