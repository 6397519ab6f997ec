// migrate-index: copies the embedded index of a data directory into an empty
// PostgreSQL index (index/index_copy.h), then checks the copy: the row count of every
// table, and the audit chain verified on the target with the directory's key.
// Prints a line per table; exit status 1 on any difference or a broken chain.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "app/commands.h"
#include "app/data_directory.h"
#include "index/audit_chain_verifier.h"
#include "index/index_copy.h"

namespace pacsport {

int RunMigrateIndex(const std::filesystem::path& from, const std::string& to) {
  const std::filesystem::path sqlite_path = from / "index.sqlite";
  if (!std::filesystem::is_regular_file(sqlite_path)) {
    return Fail("migrate-index: " + sqlite_path.string() + " does not exist");
  }
  if (!IsPostgresUrl(to)) return Fail("migrate-index: --to must be a postgresql:// URL");
  auto counts = CopySqliteIndexToPostgres(sqlite_path.string(), to);
  if (!counts.ok()) return Fail(counts.error());
  bool same = true;
  std::cout << std::left << std::setw(24) << "table" << std::right << std::setw(12) << "source"
            << std::setw(12) << "target"
            << "\n";
  for (const TableCount& count : *counts) {
    const bool equal = count.source_rows == count.target_rows;
    same = same && equal;
    std::cout << std::left << std::setw(24) << count.table << std::right << std::setw(12)
              << count.source_rows << std::setw(12) << count.target_rows
              << (equal ? "" : "  MISMATCH") << "\n";
  }
  auto dir = DataDirectory::Open(from, to);
  if (!dir.ok()) return Fail(dir.error());
  auto chain = VerifyAuditChain((*dir)->index(), &(*dir)->signing_key()->public_key());
  if (!chain.ok()) return Fail(chain.error());
  if (chain->problem) {
    std::cout << "audit chain on the target BROKEN at record " << chain->problem->record_id << ": "
              << chain->problem->what << "\n";
    return 1;
  }
  std::cout << "audit chain on the target verified: " << chain->records << " records\n";
  if (!same) {
    std::cout << "migrate-index: the row counts differ\n";
    return 1;
  }
  std::cout << "migrate-index: " << IndexUrlForLog(to) << " now holds the index of "
            << from.string() << "\n";
  return 0;
}

}  // namespace pacsport
