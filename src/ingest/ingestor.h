// Ingestor: accepts one DICOM file for a hospital: parses it, writes it to the local
// store under its SHA-256 and records it in the index.
//
// All or nothing: a rejected file (not DICOM, truncated, no identity) or a failed
// index write leaves no file in the store and no row in the index. Re-sending an
// instance the hospital already has (same SOP Instance UID) changes nothing.
// Thread-safe: concurrent ingests of the same bytes are serialised per content key,
// so a cleanup never removes a file that another ingest has just indexed.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/records.h"
#include "dicom/instance_parser.h"
#include "index/index.h"
#include "storage/local_store.h"

namespace pacsport {

// Uploads above this size are refused (kPayloadTooLarge) before parsing.
inline constexpr std::int64_t kMaxInstanceBytes = std::int64_t{4} << 30;

// What the index records of the DICOM file `bytes`, located in the local store under
// its SHA-256. kPayloadTooLarge above kMaxInstanceBytes or when a deflated dataset
// inflates beyond `limits`; kInvalidInput for what dicom::ParseInstance refuses.
// Thread-safe.
Result<StoredInstance> DescribeInstance(std::string_view bytes, const dicom::ParseLimits& limits);

struct IngestedInstance {
  IngestOutcome outcome = IngestOutcome::kAdded;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string sha256;
  std::int64_t size = 0;
};

class Ingestor {
 public:
  // Borrows both; they must outlive the Ingestor. Every file is parsed under `limits`.
  Ingestor(Index& index, LocalStore& store, dicom::ParseLimits limits = {})
      : index_(index), store_(store), limits_(limits) {}

  // The file `bytes`, held in memory (an upload).
  Result<IngestedInstance> Ingest(RowId hospital_id, std::string_view bytes);
  // The local file at `path`, never read into memory whole: it is parsed from a
  // mapping (see MappedFile), hashed, then copied into the store in chunks. Besides
  // Ingest's errors, kInvalidInput when it is not a regular file and kUnavailable
  // when it cannot be read.
  Result<IngestedInstance> IngestFile(RowId hospital_id, const std::filesystem::path& path);

 private:
  std::mutex& StripeFor(const std::string& sha256);
  // Stores the bytes `bytes` hands over (those `stored` describes) and indexes them.
  Result<IngestedInstance> Record(RowId hospital_id, const StoredInstance& stored,
                                  const LocalStore::ChunkProducer& bytes);

  Index& index_;
  LocalStore& store_;
  const dicom::ParseLimits limits_;
  std::array<std::mutex, 64> stripes_;  // guard Put/AddInstance/cleanup per content key
};

}  // namespace pacsport
