#include "index/index_copy.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <map>
#include <set>

#include "index/index.h"
#include "index/postgres_connection.h"

namespace pacsport {
namespace {

// Tables whose migrations insert a row of their own (the change sequence's one row):
// they count as empty with it, and the copy replaces it.
const std::set<std::string> kSeededTables = {"change_sequence"};

std::vector<std::string> Strings(soci::session& sql, const std::string& query) {
  std::vector<std::string> out;
  std::string value;
  soci::statement select = (sql.prepare << query, soci::into(value));
  select.execute();
  while (select.fetch()) out.push_back(value);
  return out;
}

std::int64_t CountRows(soci::session& sql, const std::string& table) {
  std::int64_t rows = 0;
  sql << "SELECT COUNT(*) FROM " + table, soci::into(rows);
  return rows;
}

// The source's tables (schema_version aside), every table after those it refers to.
std::vector<std::string> TablesInForeignKeyOrder(soci::session& source) {
  const std::vector<std::string> tables =
      Strings(source,
              "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_version' "
              "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name");
  std::map<std::string, std::set<std::string>> refers_to;
  for (const std::string& table : tables) {
    for (const std::string& parent :
         Strings(source, "SELECT \"table\" FROM pragma_foreign_key_list('" + table + "')")) {
      if (parent != table) refers_to[table].insert(parent);
    }
  }
  std::vector<std::string> ordered;
  while (ordered.size() < tables.size()) {
    const std::size_t before = ordered.size();
    for (const std::string& table : tables) {
      if (std::find(ordered.begin(), ordered.end(), table) != ordered.end()) continue;
      const auto& parents = refers_to[table];
      if (std::all_of(parents.begin(), parents.end(), [&](const std::string& parent) {
            return std::find(ordered.begin(), ordered.end(), parent) != ordered.end();
          })) {
        ordered.push_back(table);
      }
    }
    if (ordered.size() == before) throw std::runtime_error("the index's foreign keys form a cycle");
  }
  return ordered;
}

// Copies every row of `table`, column by column as text (PostgreSQL casts each
// parameter to its column's type); NULLs stay NULL.
void CopyRows(soci::session& source, soci::session& target, const std::string& table) {
  const std::vector<std::string> columns =
      Strings(source, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
  std::string names;
  std::string placeholders;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    names += (i == 0 ? "" : ", ") + columns[i];
    placeholders += (i == 0 ? ":v" : ", :v") + std::to_string(i);
  }
  std::vector<std::string> values(columns.size());
  std::vector<soci::indicator> present(columns.size(), soci::i_ok);
  soci::statement select(source);
  soci::statement insert(target);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    select.exchange(soci::into(values[i], present[i]));
    insert.exchange(soci::use(values[i], present[i]));
  }
  select.alloc();
  select.prepare("SELECT " + names + " FROM " + table);
  select.define_and_bind();
  insert.alloc();
  insert.prepare("INSERT INTO " + table + " (" + names + ") VALUES (" + placeholders + ")");
  insert.define_and_bind();
  select.execute();
  while (select.fetch()) insert.execute(true);
}

// Sets each identity sequence of the target past its column's largest value.
void AdvanceIdentities(soci::session& target) {
  std::string table;
  std::string column;
  std::vector<std::pair<std::string, std::string>> identities;
  soci::statement select =
      (target.prepare << "SELECT table_name, column_name FROM information_schema.columns "
                         "WHERE table_schema = current_schema() AND is_identity = 'YES'",
       soci::into(table), soci::into(column));
  select.execute();
  while (select.fetch()) identities.emplace_back(table, column);
  for (const auto& [name, id] : identities) {
    target << "SELECT setval(pg_get_serial_sequence('" + name + "', '" + id + "'), COALESCE(MAX(" +
                  id + "), 0) + 1, false) FROM " + name;
  }
}

}  // namespace

Result<std::vector<TableCount>> CopySqliteIndexToPostgres(const std::string& sqlite_path,
                                                          const std::string& postgres_url) {
  // Opening migrates both to the latest schema, so that their tables match.
  {
    auto source = OpenSqliteIndex(sqlite_path);
    if (!source.ok()) return source.error();
    auto target = OpenPostgresIndex(postgres_url);
    if (!target.ok()) return target.error();
  }
  auto connect = PostgresConnectionString(postgres_url);
  if (!connect.ok()) return connect.error();
  try {
    soci::session source(soci::sqlite3, "db=\"" + sqlite_path + "\"");
    soci::session target(soci::postgresql, *connect);
    const std::vector<std::string> tables = TablesInForeignKeyOrder(source);
    std::vector<TableCount> counts;
    source.begin();  // one consistent read of the source
    target << "BEGIN ISOLATION LEVEL SERIALIZABLE";
    for (const std::string& table : tables) {
      target << "LOCK TABLE " + table + " IN EXCLUSIVE MODE";
      if (!kSeededTables.contains(table) && CountRows(target, table) > 0) {
        target.rollback();
        return Error(ErrorCode::kConflict, "the target index is not empty: table " + table +
                                               " has rows; migrate-index only fills an empty one");
      }
    }
    for (const std::string& table : tables) {
      if (kSeededTables.contains(table)) target << "DELETE FROM " + table;
      CopyRows(source, target, table);
      counts.push_back({table, CountRows(source, table), 0});
    }
    AdvanceIdentities(target);
    target.commit();
    source.rollback();
    for (TableCount& count : counts) count.target_rows = CountRows(target, count.table);
    return counts;
  } catch (const soci::soci_error& e) {
    return Internal("migrate-index: the copy failed and was rolled back: " + e.get_error_message());
  } catch (const std::exception& e) {
    return Internal(std::string("migrate-index: the copy failed and was rolled back: ") + e.what());
  }
}

}  // namespace pacsport
