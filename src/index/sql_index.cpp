#include "index/sql_index.h"

#include <soci/soci.h>

#include <chrono>
#include <random>
#include <thread>

#include "index/name_search.h"
#include "index/schema.h"

namespace pacsport {
namespace {

std::string Now() { return Iso8601(std::chrono::system_clock::now()); }

// Computes the search key of every patient recorded before patients.name_key existed.
void FillNameKeys(soci::session& sql) {
  std::vector<std::pair<RowId, std::string>> patients;
  RowId id = 0;
  std::string name;
  soci::statement select = (sql.prepare << "SELECT id, name FROM patients WHERE name <> ''",
                            soci::into(id), soci::into(name));
  select.execute();
  while (select.fetch()) patients.emplace_back(id, name);
  for (const auto& [row, patient_name] : patients) {
    const std::string key = NameSearchKey(patient_name);
    sql << "UPDATE patients SET name_key = :key WHERE id = :id", soci::use(key), soci::use(row);
  }
}

// soci's pool does not tell its size, and at() refuses a position past its end.
std::size_t PoolSize(soci::connection_pool& pool) {
  std::size_t size = 0;
  try {
    while (true) {
      pool.at(size);
      ++size;
    }
  } catch (const soci::soci_error&) {
  }
  return size;
}

}  // namespace

SqlIndex::SqlIndex(std::unique_ptr<soci::connection_pool> pool, SqlDialect dialect,
                   SessionOpener open_session)
    : pool_(std::move(pool)),
      dialect_(dialect),
      open_session_(std::move(open_session)),
      pool_size_(PoolSize(*pool_)) {}

SqlIndex::~SqlIndex() = default;

SqlIndex::Transaction::Transaction(SqlIndex& index, Access access) {
  const bool write = access == Access::kWrite;
  if (write && index.dialect_.serialize_writes) {
    write_lock_ = std::unique_lock(index.write_mutex_);
  }
  session_ = std::make_unique<soci::session>(*index.pool_);
  leased_.emplace(index.sessions_in_use_);
  const std::string begin(write ? index.dialect_.begin_write : index.dialect_.begin_read);
  try {
    *session_ << begin;
  } catch (const soci::soci_error&) {
    // A connection the database dropped (restart, fail-over) is opened again, so
    // that a fault costs the call that met it, not every later lease of it.
    if (session_->is_connected()) throw;
    session_->reconnect();
    *session_ << begin;
  }
  open_ = true;
}

SqlIndex::Transaction::~Transaction() {
  if (!open_) return;
  try {
    session_->rollback();
  } catch (const std::exception&) {
    // The transaction's error is already being reported; a broken connection
    // fails again, visibly, on its next use.
  }
}

void SqlIndex::Transaction::Commit() {
  session_->commit();
  open_ = false;
}

void SqlIndex::Lock(soci::session& sql, LockName lock, const std::string& name) const {
  if (dialect_.lock.empty()) return;
  const int kind = static_cast<int>(lock);
  sql << std::string(dialect_.lock), soci::use(kind, "kind"), soci::use(name, "name");
}

void SqlIndex::PauseBeforeRetry(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling_ms = 2 << std::min(attempt, 7);  // 4 ms, 8 ms, ... 256 ms
  std::uniform_int_distribution<int> pause_ms(1, ceiling_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
}

SessionPoolUse SqlIndex::PoolUse() const { return {sessions_in_use_.load(), pool_size_}; }

Status SqlIndex::Migrate() {
  return Run(Access::kWrite, "schema migration", [&](soci::session& sql) -> Status {
    // Replicas starting together: the first migrates, the others then find the
    // schema at its version.
    Lock(sql, LockName::kMigration, "schema");
    sql << std::string(SchemaVersionTableStatement());
    int version = 0;
    soci::indicator present = soci::i_null;
    sql << "SELECT MAX(version) FROM schema_version", soci::into(version, present);
    if (present != soci::i_ok) version = 0;
    const int latest = kLatestSchemaVersion;
    if (version > latest) {
      return Unavailable("the index database has schema version " + std::to_string(version) +
                         ", newer than this program's " + std::to_string(latest));
    }
    if (version == latest) return Status::Ok();
    for (int next = version + 1; next <= latest; ++next) {
      for (const std::string& statement : MigrationStatements(next, dialect_.id_primary_key)) {
        sql << statement;
      }
      if (next == kNameKeyVersion) FillNameKeys(sql);
    }
    sql << "DELETE FROM schema_version";
    sql << "INSERT INTO schema_version (version) VALUES (:version)", soci::use(latest);
    return Status::Ok();
  });
}

bool SqlIndex::HospitalExists(soci::session& sql, RowId hospital_id) {
  int one = 0;
  sql << "SELECT 1 FROM hospitals WHERE id = :id", soci::use(hospital_id), soci::into(one);
  return sql.got_data();
}

Status SqlIndex::CheckPage(const PageRequest& page) {
  if (page.offset < 0 || page.limit < 0)
    return InvalidInput("paging needs offset >= 0, limit >= 0");
  return Status::Ok();
}

Result<RowId> SqlIndex::AddHospital(const std::string& name) {
  if (name.empty()) return InvalidInput("a hospital needs a name");
  const std::string created_at = Now();
  return Run(Access::kWrite, "adding a hospital", [&](soci::session& sql) -> Result<RowId> {
    RowId id = 0;
    sql << "INSERT INTO hospitals (name, created_at) VALUES (:name, :created_at) "
           "ON CONFLICT (name) DO NOTHING RETURNING id",
        soci::use(name), soci::use(created_at), soci::into(id);
    if (!sql.got_data()) return Error(ErrorCode::kConflict, "a hospital of that name exists");
    return id;
  });
}

Result<HospitalRecord> SqlIndex::FindHospital(const std::string& name) {
  return Run(Access::kRead, "finding a hospital",
             [&](soci::session& sql) -> Result<HospitalRecord> {
               HospitalRecord hospital;
               sql << "SELECT id, name FROM hospitals WHERE name = :name", soci::use(name),
                   soci::into(hospital.id), soci::into(hospital.name);
               if (!sql.got_data()) return NotFound("no such hospital");
               return hospital;
             });
}

Status SqlIndex::AddUser(const std::string& username, RowId hospital_id, Role role,
                         const std::string& password_hash) {
  if (username.empty()) return InvalidInput("a user needs a name");
  const std::string role_name(RoleName(role));
  const std::string created_at = Now();
  return Run(Access::kWrite, "adding a user", [&](soci::session& sql) -> Status {
    if (!HospitalExists(sql, hospital_id)) return NotFound("no such hospital");
    RowId id = 0;
    sql << "INSERT INTO users (username, hospital_id, role, password_hash, created_at) "
           "VALUES (:username, :hospital_id, :role, :password_hash, :created_at) "
           "ON CONFLICT (username) DO NOTHING RETURNING id",
        soci::use(username), soci::use(hospital_id), soci::use(role_name), soci::use(password_hash),
        soci::use(created_at), soci::into(id);
    if (!sql.got_data()) return Error(ErrorCode::kConflict, "a user of that name exists");
    return Status::Ok();
  });
}

Result<UserRecord> SqlIndex::FindUser(const std::string& username) {
  return Run(Access::kRead, "finding a user", [&](soci::session& sql) -> Result<UserRecord> {
    UserRecord user;
    std::string role_name;
    sql << "SELECT u.id, u.username, u.hospital_id, h.name, u.role, u.password_hash "
           "FROM users u JOIN hospitals h ON h.id = u.hospital_id WHERE u.username = :username",
        soci::use(username), soci::into(user.id), soci::into(user.username),
        soci::into(user.hospital_id), soci::into(user.hospital_name), soci::into(role_name),
        soci::into(user.password_hash);
    if (!sql.got_data()) return NotFound("no such user");
    const auto role = ParseRole(role_name);
    if (!role) return Internal("a user has an unknown role in the index");
    user.role = *role;
    return user;
  });
}

}  // namespace pacsport
