// SqlIndex: delivery destinations.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {
namespace {

constexpr std::string_view kDestinationSelect =
    "SELECT id, hospital_id, name, kind, settings, secrets, secret_names, created_by, "
    "created_at, updated_at FROM destinations";

void Exchange(soci::statement& st, DestinationRecord& d) {
  st.exchange(soci::into(d.id));
  st.exchange(soci::into(d.hospital_id));
  st.exchange(soci::into(d.name));
  st.exchange(soci::into(d.kind));
  st.exchange(soci::into(d.settings));
  st.exchange(soci::into(d.secrets));
  st.exchange(soci::into(d.secret_names));
  st.exchange(soci::into(d.created_by));
  st.exchange(soci::into(d.created_at));
  st.exchange(soci::into(d.updated_at));
}

bool NameTaken(soci::session& sql, RowId hospital_id, const std::string& name, RowId other_than) {
  RowId id = 0;
  sql << "SELECT id FROM destinations WHERE hospital_id = :hospital_id AND name = :name "
         "AND id <> :other",
      soci::use(hospital_id), soci::use(name), soci::use(other_than), soci::into(id);
  return sql.got_data();
}

const Error kNameTaken(ErrorCode::kConflict, "the hospital has a destination of that name");

}  // namespace

Result<RowId> SqlIndex::AddDestination(const DestinationRecord& d) {
  return Run(Access::kWrite, "adding a destination", [&](soci::session& sql) -> Result<RowId> {
    if (NameTaken(sql, d.hospital_id, d.name, 0)) return kNameTaken;
    RowId id = 0;
    sql << "INSERT INTO destinations (hospital_id, name, kind, settings, secrets, "
           "secret_names, created_by, created_at, updated_at) VALUES (:hospital_id, :name, "
           ":kind, :settings, :secrets, :secret_names, :created_by, :created_at, :updated_at) "
           "RETURNING id",
        soci::use(d.hospital_id), soci::use(d.name), soci::use(d.kind), soci::use(d.settings),
        soci::use(d.secrets), soci::use(d.secret_names), soci::use(d.created_by),
        soci::use(d.created_at), soci::use(d.updated_at), soci::into(id);
    return id;
  });
}

Result<DestinationRecord> SqlIndex::GetDestination(RowId hospital_id, RowId id) {
  return Run(Access::kRead, "reading a destination",
             [&](soci::session& sql) -> Result<DestinationRecord> {
               DestinationRecord d;
               soci::statement st =
                   (sql.prepare << std::string(kDestinationSelect) +
                                       " WHERE hospital_id = :hospital_id AND id = :id",
                    soci::use(hospital_id), soci::use(id));
               Exchange(st, d);
               st.define_and_bind();
               st.execute();
               if (!st.fetch()) return NotFound("no such destination");
               return d;
             });
}

Result<std::vector<DestinationRecord>> SqlIndex::ListDestinations(RowId hospital_id) {
  return Run(Access::kRead, "listing destinations",
             [&](soci::session& sql) -> Result<std::vector<DestinationRecord>> {
               DestinationRecord d;
               soci::statement st = (sql.prepare << std::string(kDestinationSelect) +
                                                        " WHERE hospital_id = :hospital_id "
                                                        "ORDER BY name, id",
                                     soci::use(hospital_id));
               Exchange(st, d);
               st.define_and_bind();
               st.execute();
               std::vector<DestinationRecord> out;
               while (st.fetch()) out.push_back(d);
               return out;
             });
}

Status SqlIndex::UpdateDestination(const DestinationRecord& d) {
  return Run(Access::kWrite, "changing a destination", [&](soci::session& sql) -> Status {
    if (NameTaken(sql, d.hospital_id, d.name, d.id)) return kNameTaken;
    soci::statement update =
        (sql.prepare << "UPDATE destinations SET name = :name, settings = :settings, "
                        "secrets = :secrets, secret_names = :secret_names, "
                        "updated_at = :updated_at WHERE hospital_id = :hospital_id AND id = :id",
         soci::use(d.name), soci::use(d.settings), soci::use(d.secrets),
         soci::use(d.secret_names), soci::use(d.updated_at), soci::use(d.hospital_id),
         soci::use(d.id));
    update.execute(true);
    if (update.get_affected_rows() == 0) return NotFound("no such destination");
    return Status::Ok();
  });
}

Status SqlIndex::DeleteDestination(RowId hospital_id, RowId id) {
  return Run(Access::kWrite, "removing a destination", [&](soci::session& sql) -> Status {
    soci::statement remove =
        (sql.prepare << "DELETE FROM destinations WHERE hospital_id = :hospital_id AND id = :id",
         soci::use(hospital_id), soci::use(id));
    remove.execute(true);
    if (remove.get_affected_rows() == 0) return NotFound("no such destination");
    return Status::Ok();
  });
}

}  // namespace pacsport
