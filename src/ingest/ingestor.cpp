#include "ingest/ingestor.h"

#include "core/digest.h"
#include "dicom/instance_parser.h"
#include "ingest/deflated_size.h"
#include "ingest/mapped_file.h"

namespace pacsport {
namespace {

Error TooLarge() { return Error(ErrorCode::kPayloadTooLarge, "DICOM file larger than 4 GiB"); }

// The index's record of a parsed file located in the local store under its SHA-256,
// with its deflated size as measured for the export estimate.
StoredInstance Describe(InstanceMetadata metadata, std::int64_t size, std::string sha256,
                        std::optional<std::int64_t> deflated_size) {
  StoredInstance stored;
  stored.deflated_size = deflated_size;
  stored.metadata = std::move(metadata);
  stored.size = size;
  stored.sha256 = std::move(sha256);
  stored.orthanc_instance_id = stored.metadata.orthanc_instance_id;
  stored.location = {LocalStore::kSourceName, stored.sha256};
  return stored;
}

}  // namespace

std::mutex& Ingestor::StripeFor(const std::string& sha256) {
  return stripes_[std::stoul(sha256.substr(0, 2), nullptr, 16) % stripes_.size()];
}

Result<StoredInstance> DescribeInstance(std::string_view bytes, const dicom::ParseLimits& limits) {
  if (static_cast<std::int64_t>(bytes.size()) > kMaxInstanceBytes) return TooLarge();
  auto metadata = dicom::ParseInstance(bytes, limits);
  if (!metadata.ok()) return metadata.error();
  std::optional<std::int64_t> deflated = MeasureDeflatedSize(bytes, metadata->transfer_syntax_uid);
  return Describe(std::move(*metadata), static_cast<std::int64_t>(bytes.size()), Sha256Hex(bytes),
                  deflated);
}

Result<IngestedInstance> Ingestor::Ingest(RowId hospital_id, std::string_view bytes) {
  auto described = DescribeInstance(bytes, limits_);
  if (!described.ok()) return described.error();
  return Record(hospital_id, *described,
                [bytes](const LocalStore::ChunkConsumer& consume) { return consume(bytes); });
}

Result<IngestedInstance> Ingestor::IngestFile(RowId hospital_id,
                                              const std::filesystem::path& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.error();
  if (file->size() > static_cast<std::uint64_t>(kMaxInstanceBytes)) return TooLarge();
  auto metadata = dicom::ParseInstance(file->bytes(), limits_);
  if (!metadata.ok()) return metadata.error();
  Sha256 digest;
  DeflatedSizeMeter deflated(metadata->transfer_syntax_uid);
  Status read = file->ReadChunks([&digest, &deflated](std::string_view chunk) {
    digest.Update(chunk.data(), chunk.size());
    deflated.Add(chunk);
    return Status::Ok();
  });
  if (!read.ok()) return read.error();
  const StoredInstance stored =
      Describe(std::move(*metadata), static_cast<std::int64_t>(file->size()), digest.FinishHex(),
               deflated.Total());
  return Record(hospital_id, stored, [&file](const LocalStore::ChunkConsumer& consume) {
    return file->ReadChunks(consume);
  });
}

Result<IngestedInstance> Ingestor::Record(RowId hospital_id, const StoredInstance& stored,
                                          const LocalStore::ChunkProducer& bytes) {
  const InstanceMetadata& m = stored.metadata;
  IngestedInstance result;
  result.sop_instance_uid = m.sop_instance_uid;
  result.study_instance_uid = m.study_instance_uid;
  result.sha256 = stored.sha256;
  result.size = stored.size;

  std::lock_guard lock(StripeFor(stored.sha256));
  const bool was_stored = store_.Contains(stored.sha256);
  if (Status put = store_.PutChunks(stored.sha256, bytes); !put.ok()) return put.error();
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
