#include "export/plan_instance_feed.h"

#include "core/digest.h"
#include "export/prepared_instance.h"

namespace pacsport {

PlanInstanceFeed::PlanInstanceFeed(PlannedExport& plan, DicomSource& source)
    : plan_(plan), source_(source), items_(plan) {}

std::int64_t PlanInstanceFeed::count() const { return plan_.summary().instance_count; }

Result<std::optional<OutgoingInstance>> PlanInstanceFeed::Next(std::stop_token stop) {
  if (stop.stop_requested()) return Unavailable("the push was stopped");
  auto item = items_.Next();
  if (!item.ok()) return item.error();
  if (!item->has_value()) return std::optional<OutgoingInstance>();
  const InstanceRecord& record = (*item)->instance().record;
  auto bytes = source_.Read(record.location);
  if (!bytes.ok()) {
    return Error(bytes.error().code(),
                 "instance " + record.sop_instance_uid + ": " + bytes.error().message());
  }
  if (!record.sha256.empty() && Sha256Hex(*bytes) != record.sha256) {
    return ChecksumMismatch(record);
  }
  auto outgoing = Release(record, std::move(*bytes));
  if (!outgoing.ok()) return outgoing.error();
  ++instances_given_;
  bytes_given_ += static_cast<std::int64_t>(outgoing->bytes.size());
  return std::optional<OutgoingInstance>(std::move(*outgoing));
}

Result<OutgoingInstance> PlanInstanceFeed::Release(const InstanceRecord& record,
                                                   std::string bytes) {
  OutgoingInstance outgoing;
  const deid::Deidentifier* deidentifier = plan_.summary().deidentifier.get();
  if (deidentifier == nullptr) {
    outgoing.study_uid = record.study_instance_uid;
    outgoing.series_uid = record.series_instance_uid;
    outgoing.sop_instance_uid = record.sop_instance_uid;
    outgoing.sop_class_uid = record.sop_class_uid;
    outgoing.transfer_syntax_uid = record.transfer_syntax_uid;
    outgoing.bytes = std::move(bytes);
    return outgoing;
  }
  auto done = deidentifier->Apply(bytes, outgoing.bytes);
  if (!done.ok()) return DeidentificationFailed(record, done.error());
  outgoing.study_uid = std::move(done->study_uid);
  outgoing.series_uid = std::move(done->series_uid);
  outgoing.sop_instance_uid = std::move(done->sop_instance_uid);
  outgoing.sop_class_uid = std::move(done->sop_class_uid);
  outgoing.transfer_syntax_uid = std::move(done->transfer_syntax_uid);
  return outgoing;
}

}  // namespace pacsport
