// audit: the export audit trail, newest first, one JSON object per line;
// audit verify: its hash chain checked.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/data_directory.h"
#include "audit/audit_archiver.h"
#include "auth/signing_key.h"
#include "export/record_json.h"
#include "index/audit_chain_verifier.h"

namespace pacsport {

int RunAudit(const AuditCommandOptions& options) {
  auto dir = DataDirectory::OpenPerEnvironment(options.data);
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
      return Fail(
          "--outcome must be in_progress, success, denied, failed, aborted or over_capacity");
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

int RunAuditVerify(const AuditVerifyOptions& options) {
  auto dir = DataDirectory::OpenPerEnvironment(options.data);
  if (!dir.ok()) return Fail(dir.error());
  std::optional<auth::PublicKey> given;
  if (options.key) {
    auto key = auth::PublicKey::ReadFile(*options.key);
    if (!key.ok()) return Fail(key.error());
    given = std::move(*key);
  }
  const auth::PublicKey& key = given ? *given : (*dir)->signing_key()->public_key();
  auto anchor = (*dir)->index().LastAuditArchive();
  if (!anchor.ok()) return Fail(anchor.error());
  if (*anchor) {
    auto archives = audit::VerifyAuditArchives(options.data / "audit-archive", *anchor, &key);
    if (!archives.ok()) return Fail(archives.error());
    if (archives->problem) {
      std::cout << "audit archive BROKEN at chain seq " << archives->problem->chain_seq << ": "
                << archives->problem->what << "\n";
      return 1;
    }
    std::cout << "audit archives verified: " << archives->records << " records (seq 1 to "
              << archives->head_seq << ")\n";
  }
  auto report = VerifyAuditChain((*dir)->index(), &key);
  if (!report.ok()) return Fail(report.error());
  if (report->problem) {
    std::cout << "audit chain BROKEN at record " << report->problem->record_id << " (chain seq "
              << report->problem->chain_seq << "): " << report->problem->what << "\n"
              << report->records << " records before it hold\n";
    return 1;
  }
  std::cout << "audit chain verified: " << report->records << " records";
  if (report->records > 0) {
    std::cout << " (seq " << report->first_seq << " to " << report->head_seq << "), head "
              << report->head_hash;
  }
  std::cout << "\nsigned by key " << key.id() << (given ? " (given)" : " (this directory's)")
            << "\n";
  if (report->in_progress > 0) {
    std::cout << report->in_progress << " exports in progress are not sealed yet\n";
  }
  return 0;
}

}  // namespace pacsport
