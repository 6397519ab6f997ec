// OpenSqliteIndex: the embedded SQLite backend of SqlIndex.
//
// Thread-safety model: a soci::connection_pool of kSessions connections to the one
// file. In WAL mode readers never block and run concurrently with the writer; write
// transactions start with BEGIN IMMEDIATE (taking SQLite's write lock before the
// first read, so no deadlock-prone lock upgrade) and are serialized within the
// process by SqlIndex's mutex; the busy timeout covers other processes (the CLI
// next to a running server).
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <stdexcept>

#include "index/sql_index.h"

namespace pacsport {
namespace {

constexpr std::size_t kSessions = 4;
constexpr int kBusyTimeoutMs = 10'000;

// kInternal for what points to a bug in our SQL (syntax, constraint we did not
// expect, misuse); kUnavailable for faults of the file or its locks (busy, I/O,
// full disk, not a database, cannot open). The message names the operation and
// SQLite's complaint, never a bound value.
Error TranslateSqliteError(const std::exception& e, std::string_view operation) {
  const std::string context = "index: " + std::string(operation) + " failed: ";
  if (const auto* sqlite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    switch (sqlite->result() & 0xff) {  // the primary result code
      case SQLITE_ERROR:
      case SQLITE_CONSTRAINT:
      case SQLITE_MISMATCH:
      case SQLITE_MISUSE:
      case SQLITE_RANGE:
        return Internal(context + sqlite->get_error_message());
      default:
        return Unavailable(context + sqlite->get_error_message());
    }
  }
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    return Internal(context + soci_error->get_error_message());
  }
  return Internal(context + e.what());
}

// AUTOINCREMENT: an id is never given again after its row is deleted, so a job still
// names the destination or schedule it was made with (tables made before version 8
// keep plain rowids).
constexpr SqlDialect kSqliteDialect{
    .id_primary_key = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .begin_read = "BEGIN",
    .begin_write = "BEGIN IMMEDIATE",
    .serialize_writes = true,
    .lock = "",              // BEGIN IMMEDIATE: one writer at a time, across processes too
    .lock_skip_locked = "",  // BEGIN IMMEDIATE already excludes other writers
    .translate = &TranslateSqliteError,
};

// Per-connection settings; journal_mode is a property of the file, set once.
Status Configure(soci::session& sql, bool first) {
  int timeout = 0;
  sql << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), soci::into(timeout);
  sql << "PRAGMA foreign_keys = ON";
  if (first) {
    std::string mode;
    sql << "PRAGMA journal_mode = WAL", soci::into(mode);
    if (mode != "wal") return Unavailable("index: the database refuses WAL mode");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Index>> OpenSqliteIndex(const std::string& path) {
  if (path.empty() || path.find('"') != std::string::npos) {
    return InvalidInput("the index path must be non-empty and free of double quotes");
  }
  std::unique_ptr<soci::connection_pool> pool;
  try {
    pool = std::make_unique<soci::connection_pool>(kSessions);
    for (std::size_t i = 0; i < kSessions; ++i) {
      soci::session& sql = pool->at(i);
      sql.open(soci::sqlite3, "db=\"" + path + "\"");
      if (Status configured = Configure(sql, i == 0); !configured.ok()) return configured.error();
    }
  } catch (const std::exception& e) {
    return TranslateSqliteError(e, "opening " + path);
  }
  // A snapshot's own connection; its read transaction is SQLite's snapshot of the
  // WAL, so writers go on meanwhile.
  auto open_session = [path]() {
    auto sql = std::make_unique<soci::session>(soci::sqlite3, "db=\"" + path + "\"");
    if (Status configured = Configure(*sql, false); !configured.ok()) {
      throw std::runtime_error(configured.error().message());
    }
    return sql;
  };
  auto index = std::make_unique<SqlIndex>(std::move(pool), kSqliteDialect, open_session);
  if (Status migrated = index->Migrate(); !migrated.ok()) return migrated.error();
  return std::unique_ptr<Index>(std::move(index));
}

}  // namespace pacsport
