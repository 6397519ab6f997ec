// PlanInstanceFeed: the InstanceFeed (instance_feed.h) of an export session's plan:
// its instances in export order, each read whole from the DicomSource and checked
// against the SHA-256 recorded at ingest before it is given out, then de-identified
// when the export asks for it (its UIDs then the pseudonymous ones). Counts what it gave,
// for the session's audit record. Used by one thread; borrows the plan and the source.
#pragma once

#include <cstdint>

#include "export/instance_feed.h"
#include "export/plan_items.h"
#include "export/planner.h"
#include "storage/dicom_source.h"

namespace pacsport {

class PlanInstanceFeed final : public InstanceFeed {
 public:
  // Requires the plan's totals counted (PlannedExport::CountTotals).
  PlanInstanceFeed(PlannedExport& plan, DicomSource& source);

  std::int64_t count() const override;
  Result<std::optional<OutgoingInstance>> Next(std::stop_token stop) override;

  std::int64_t instances_given() const { return instances_given_; }
  std::int64_t bytes_given() const { return bytes_given_; }

 private:
  // The one place a file's bytes pass, checked, before they are given out: as they
  // are, or de-identified.
  Result<OutgoingInstance> Release(const InstanceRecord& record, std::string bytes);

  PlannedExport& plan_;
  DicomSource& source_;
  PlanItems items_;
  std::int64_t instances_given_ = 0;
  std::int64_t bytes_given_ = 0;
};

}  // namespace pacsport
