// SqlIndex: replicas' heartbeats and named leases (docs/decisions/0024).
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {

Status SqlIndex::RecordHeartbeat(const std::string& replica, const std::string& now) {
  return Run(Access::kWrite, "recording a replica's heartbeat", [&](soci::session& sql) -> Status {
    sql << "INSERT INTO replicas (id, started_at, heartbeat_at) VALUES (:id, :now, :now2) "
           "ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        soci::use(replica), soci::use(now), soci::use(now);
    return Status::Ok();
  });
}

Result<bool> SqlIndex::AcquireLease(const std::string& name, const LeaseTerms& lease) {
  return Run(Access::kWrite, "taking a lease", [&](soci::session& sql) -> Result<bool> {
    sql << "INSERT INTO leases (name, owner, expires_at) VALUES (:name, :owner, :expires_at) "
           "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
           "expires_at = excluded.expires_at "
           "WHERE leases.owner = excluded.owner OR leases.expires_at < :now",
        soci::use(name), soci::use(lease.owner), soci::use(lease.expires_at), soci::use(lease.now);
    std::string owner;
    sql << "SELECT owner FROM leases WHERE name = :name", soci::use(name), soci::into(owner);
    return owner == lease.owner;
  });
}

Status SqlIndex::ReleaseLease(const std::string& name, const std::string& owner) {
  return Run(Access::kWrite, "giving a lease up", [&](soci::session& sql) -> Status {
    sql << "DELETE FROM leases WHERE name = :name AND owner = :owner", soci::use(name),
        soci::use(owner);
    return Status::Ok();
  });
}

Result<std::optional<LeaseHolder>> SqlIndex::GetLease(const std::string& name) {
  return Run(Access::kRead, "reading a lease",
             [&](soci::session& sql) -> Result<std::optional<LeaseHolder>> {
               LeaseHolder holder;
               sql << "SELECT owner, expires_at FROM leases WHERE name = :name", soci::use(name),
                   soci::into(holder.owner), soci::into(holder.expires_at);
               if (!sql.got_data()) return std::optional<LeaseHolder>();
               return std::optional<LeaseHolder>(holder);
             });
}

}  // namespace pacsport
