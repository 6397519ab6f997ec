// PlanItems: a plan's instances one at a time, in export order, from a walk of its
// index snapshot (planner.h), each with the study it belongs to. Used by one thread;
// borrows its PlannedExport, and holds one study's instances at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "core/error.h"
#include "export/planner.h"

namespace pacsport {

// One planned instance; the study is shared so that the item may outlive the walk's
// step (an instance in flight).
struct PlanItem {
  std::shared_ptr<const PlannedStudy> study;
  std::size_t index = 0;
  const PlannedInstance& instance() const { return study->instances[index]; }
};

class PlanItems {
 public:
  explicit PlanItems(PlannedExport& plan) : walk_(plan.Walk(WalkDepth::kInstances)) {}

  // The next instance; nullopt after the last. An index error ends the walk.
  Result<std::optional<PlanItem>> Next() {
    while (!study_ || next_ == study_->instances.size()) {
      auto step = walk_.Next();
      if (!step.ok()) return step.error();
      if (*step == PlanWalk::Step::kEnd) return std::optional<PlanItem>();
      if (*step == PlanWalk::Step::kStudy) {
        study_ = walk_.study();
        next_ = 0;
      }
    }
    return std::optional<PlanItem>(PlanItem{study_, next_++});
  }

 private:
  PlanWalk walk_;
  std::shared_ptr<const PlannedStudy> study_;
  std::size_t next_ = 0;
};

}  // namespace pacsport
