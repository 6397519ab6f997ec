// audit: the export audit trail, newest first, one JSON object per line.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/data_directory.h"
#include "export/record_json.h"

namespace pacsport {

int RunAudit(const AuditCommandOptions& options) {
  auto dir = DataDirectory::Open(options.data);
  if (!dir.ok()) return Fail(dir.error());
  AuditQuery query;
  if (!options.hospital.empty()) {
    auto hospital = (*dir)->index().FindHospital(options.hospital);
    if (!hospital.ok()) return Fail(hospital.error());
    query.hospital_id = hospital->id;
  }
  query.username = options.user;
  if (!options.outcome.empty()) {
    query.outcome = ParseAuditOutcome(options.outcome);
    if (!query.outcome)
      return Fail("--outcome must be in_progress, success, denied, failed or aborted");
  }
  query.page.limit = options.limit;
  auto page = (*dir)->index().ListAudit(query);
  if (!page.ok()) return Fail(page.error());
  for (const AuditRecord& r : page->items) {
    const nlohmann::ordered_json line = AuditJson(r);
    std::cout << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  }
  return 0;
}

}  // namespace pacsport
