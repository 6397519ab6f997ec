#include "index/index.h"

namespace pacsport {

std::string_view AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kInProgress:
      return "in_progress";
    case AuditOutcome::kSuccess:
      return "success";
    case AuditOutcome::kDenied:
      return "denied";
    case AuditOutcome::kFailed:
      return "failed";
    case AuditOutcome::kAborted:
      return "aborted";
    case AuditOutcome::kOverCapacity:
      return "over_capacity";
  }
  return "failed";
}

std::optional<AuditOutcome> ParseAuditOutcome(std::string_view name) {
  for (AuditOutcome outcome :
       {AuditOutcome::kInProgress, AuditOutcome::kSuccess, AuditOutcome::kDenied,
        AuditOutcome::kFailed, AuditOutcome::kAborted, AuditOutcome::kOverCapacity}) {
    if (AuditOutcomeName(outcome) == name) return outcome;
  }
  return std::nullopt;
}

}  // namespace pacsport
