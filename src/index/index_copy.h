// CopySqliteIndexToPostgres: moves an embedded index to PostgreSQL (pacsport
// migrate-index), the step from one server to replicas.
//
// Both databases are first brought to the latest schema. The target must be empty
// (no rows but the ones its migrations seed); every table of the source is then
// copied in foreign-key order with its ids as they are, and each identity sequence is
// set past its table's largest id, all in one transaction: a failure leaves the
// target as empty as it was. The caller then verifies the target (row counts here,
// the audit chain through Index).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace pacsport {

struct TableCount {
  std::string table;
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;  // counted after the copy committed
};

// Copies the SQLite index at `sqlite_path` into the PostgreSQL index at `postgres_url`;
// the tables in the order copied, with their row counts on both sides. kConflict when
// the target holds data, naming the first table that does; kUnavailable when either
// database cannot be opened; kInternal for anything else (nothing copied then).
Result<std::vector<TableCount>> CopySqliteIndexToPostgres(const std::string& sqlite_path,
                                                          const std::string& postgres_url);

}  // namespace pacsport
