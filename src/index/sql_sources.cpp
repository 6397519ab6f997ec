// SqlIndex: what the index holds of each PACS source and how far it has followed
// the source's change feed.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {

Result<std::vector<std::string>> SqlIndex::ListSourceKeys(const std::string& source) {
  return Run(Access::kRead, "listing a source's instances",
             [&](soci::session& sql) -> Result<std::vector<std::string>> {
               std::vector<std::string> keys;
               std::string key;
               soci::statement select =
                   (sql.prepare << "SELECT location_key FROM instances WHERE source = :source",
                    soci::use(source), soci::into(key));
               select.execute();
               while (select.fetch()) keys.push_back(key);
               return keys;
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
