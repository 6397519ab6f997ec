#include "export/audit_action.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/clock.h"

namespace pacsport {

AuditRecord AuditRecordOf(const ExportAttempt& attempt, const Principal& principal) {
  AuditRecord record;
  record.started_at = Iso8601(std::chrono::system_clock::now());
  record.username = principal.username;
  record.role = RoleName(principal.role);
  record.hospital_id = principal.hospital_id;
  record.hospital_name = principal.hospital_name;
  record.client_address = attempt.client_address;
  record.request_id = attempt.request_id;
  record.endpoint = attempt.endpoint;
  record.target = attempt.target;
  record.parameters = attempt.parameters;
  record.scope = attempt.scope;
  return record;
}

void AuditAction(Index& index, const AuditRecord& record, const AuditCompletion& completion) {
  auto id = index.OpenAudit(record);
  if (id.ok()) {
    if (Status s = index.CompleteAudit(*id, completion); s.ok()) return;
  }
  spdlog::error("event=audit_failed endpoint=\"{}\" target={}", record.endpoint, record.target);
}

}  // namespace pacsport
