// Audit records of single actions that are complete when recorded (a job submitted or
// cancelled, a delivery, a destination changed), as opposed to an export's record,
// opened before its first byte and completed after its last.
#pragma once

#include "core/records.h"
#include "export/export_service.h"
#include "index/index.h"

namespace pacsport {

// A new audit record of `attempt` by `principal`, in progress, started now.
AuditRecord AuditRecordOf(const ExportAttempt& attempt, const Principal& principal);

// Records `record` with its `completion`; logs (never throws) when the audit cannot
// take it.
void AuditAction(Index& index, const AuditRecord& record, const AuditCompletion& completion);

}  // namespace pacsport
