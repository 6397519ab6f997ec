// SqlIndex: what the index holds of each PACS source and how far it has followed
// the source's change feed.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {

Result<std::vector<SourceEntry>> SqlIndex::ListSourceInstances(const std::string& source) {
  return Run(Access::kRead, "listing a source's instances",
             [&](soci::session& sql) -> Result<std::vector<SourceEntry>> {
               std::vector<SourceEntry> entries;
               SourceEntry entry;
               soci::statement select =
                   (sql.prepare << "SELECT location_key, source_revision, size_bytes "
                                   "FROM instances WHERE source = :source",
                    soci::use(source), soci::into(entry.key), soci::into(entry.revision),
                    soci::into(entry.size));
               select.execute();
               while (select.fetch()) entries.push_back(entry);
               return entries;
             });
}

Result<std::optional<SourceEntry>> SqlIndex::FindSourceInstance(const InstanceLocation& location) {
  return Run(Access::kRead, "looking up a source's instance",
             [&](soci::session& sql) -> Result<std::optional<SourceEntry>> {
               SourceEntry entry{location.key, "", 0};
               sql << "SELECT source_revision, size_bytes FROM instances "
                      "WHERE source = :source AND location_key = :location_key",
                   soci::use(location.source), soci::use(location.key), soci::into(entry.revision),
                   soci::into(entry.size);
               if (!sql.got_data()) return std::optional<SourceEntry>();
               return std::optional<SourceEntry>(entry);
             });
}

Status SqlIndex::SetSourceRevisions(const std::string& source,
                                    const std::vector<SourceEntry>& entries) {
  return Run(Access::kWrite, "recording source revisions", [&](soci::session& sql) -> Status {
    for (const SourceEntry& entry : entries) {
      sql << "UPDATE instances SET source_revision = :revision "
             "WHERE source = :source AND location_key = :location_key",
          soci::use(entry.revision), soci::use(source), soci::use(entry.key);
    }
    return Status::Ok();
  });
}

Result<std::optional<SourceCursor>> SqlIndex::GetSourceCursor(const std::string& source) {
  return Run(Access::kRead, "reading a source cursor",
             [&](soci::session& sql) -> Result<std::optional<SourceCursor>> {
               SourceCursor cursor;
               sql << "SELECT last_change, synced_at FROM source_cursors WHERE source = :source",
                   soci::use(source), soci::into(cursor.last_change), soci::into(cursor.synced_at);
               if (!sql.got_data()) return std::optional<SourceCursor>();
               return std::optional<SourceCursor>(cursor);
             });
}

Status SqlIndex::SetSourceCursor(const std::string& source, const SourceCursor& cursor) {
  return Run(Access::kWrite, "recording a source cursor", [&](soci::session& sql) -> Status {
    sql << "INSERT INTO source_cursors (source, last_change, synced_at) "
           "VALUES (:source, :last_change, :synced_at) ON CONFLICT (source) DO UPDATE SET "
           "last_change = excluded.last_change, synced_at = excluded.synced_at",
        soci::use(source), soci::use(cursor.last_change), soci::use(cursor.synced_at);
    return Status::Ok();
  });
}

}  // namespace pacsport
