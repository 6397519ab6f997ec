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
  }
  return "failed";
}

std::optional<AuditOutcome> ParseAuditOutcome(std::string_view name) {
  for (AuditOutcome outcome :
       {AuditOutcome::kInProgress, AuditOutcome::kSuccess, AuditOutcome::kDenied,
        AuditOutcome::kFailed, AuditOutcome::kAborted}) {
    if (AuditOutcomeName(outcome) == name) return outcome;
  }
  return std::nullopt;
}

}  // namespace pacsport
