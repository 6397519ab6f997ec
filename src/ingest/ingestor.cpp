#include "ingest/ingestor.h"

#include "core/digest.h"
#include "dicom/instance_parser.h"

namespace pacsport {

std::mutex& Ingestor::StripeFor(const std::string& sha256) {
  return stripes_[std::stoul(sha256.substr(0, 2), nullptr, 16) % stripes_.size()];
}

Result<StoredInstance> DescribeInstance(std::string_view bytes) {
  if (static_cast<std::int64_t>(bytes.size()) > kMaxInstanceBytes) {
    return Error(ErrorCode::kPayloadTooLarge, "DICOM file larger than 4 GiB");
  }
  auto metadata = dicom::ParseInstance(bytes);
  if (!metadata.ok()) return metadata.error();

  StoredInstance stored;
  stored.metadata = std::move(*metadata);
  stored.size = static_cast<std::int64_t>(bytes.size());
  stored.sha256 = Sha256Hex(bytes);
  stored.orthanc_instance_id = stored.metadata.orthanc_instance_id;
  stored.location = {LocalStore::kSourceName, stored.sha256};
  return stored;
}

Result<IngestedInstance> Ingestor::Ingest(RowId hospital_id, std::string_view bytes) {
  auto described = DescribeInstance(bytes);
  if (!described.ok()) return described.error();
  const StoredInstance& stored = *described;
  const InstanceMetadata& m = stored.metadata;

  IngestedInstance result;
  result.sop_instance_uid = m.sop_instance_uid;
  result.study_instance_uid = m.study_instance_uid;
  result.sha256 = stored.sha256;
  result.size = stored.size;

  std::lock_guard lock(StripeFor(stored.sha256));
  const bool was_stored = store_.Contains(stored.sha256);
  if (Status put = store_.Put(stored.sha256, bytes); !put.ok()) return put.error();
  auto added = index_.AddInstance(hospital_id, stored);
  if (added.ok() && *added == IngestOutcome::kAdded) {
    result.outcome = IngestOutcome::kAdded;
    return result;
  }
  // Nothing new was indexed: drop the file again unless something refers to it.
  if (!was_stored) {
    auto referenced = index_.IsLocationReferenced(stored.location);
    if (referenced.ok() && !*referenced) (void)store_.Remove(stored.sha256);
  }
  if (!added.ok()) return added.error();
  result.outcome = IngestOutcome::kAlreadyPresent;
  return result;
}

}  // namespace pacsport
