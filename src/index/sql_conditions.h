// SqlConditions: the WHERE clause of a listing, assembled at run time from the
// filters a query sets, together with the values its placeholders bind; and the
// two statements a paged listing runs with it (the count and the page).
//
// Conditions are written with '?' for each value; they become uniquely named SOCI
// placeholders (":w0", ":w1", ...), bound by position, which both the SQLite and
// the PostgreSQL backends accept. No user input ever becomes SQL text.
// A value type, not thread-safe. Errors: the SOCI calls throw soci_error (callers
// run inside SqlIndex::Run); a '?' count that does not match the values given is a
// bug and throws std::logic_error.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "index/index.h"

namespace soci {
class session;
class statement;
}  // namespace soci

namespace pacsport {

class SqlConditions {
 public:
  using Value = std::variant<std::string, std::int64_t>;

  // Appends "AND condition". Requires: as many values as '?' in `condition`.
  SqlConditions& Add(std::string_view condition, std::initializer_list<Value> values);
  // As Add, for a number of values known only at run time.
  SqlConditions& AddWithValues(std::string_view condition, std::span<const Value> values);

  // Appends a case-insensitive substring match of `term` against any of `columns`;
  // LIKE wildcards ('%', '_') and the escape character in `term` match literally.
  // Nothing is appended for an empty term.
  SqlConditions& AddContains(std::initializer_list<std::string_view> columns,
                             std::string_view term);

  // Appends, for each word of `search` (SearchWords, index/name_search.h), a match of
  // the word folded (FoldForSearch) as a substring of `name_key_column` (a name search
  // key) or of the word as a case-insensitive substring of any of `columns`; wildcards
  // match literally. Nothing is appended for a search without words.
  SqlConditions& AddWords(std::string_view search, std::string_view name_key_column,
                          std::initializer_list<std::string_view> columns);

  // The number of rows of `from` ("FROM t JOIN u ...") that meet the conditions.
  std::int64_t Count(soci::session& sql, std::string_view from) const;

  // Runs "`select` `from`" with the conditions, ordered by `order_by` (may be
  // empty) and limited to `page` when given. `exchange_into` exchanges the
  // statement's into elements; `on_row` runs after each row fetched.
  void ForEachRow(soci::session& sql, std::string_view select, std::string_view from,
                  std::string_view order_by, const std::optional<PageRequest>& page,
                  const std::function<void(soci::statement&)>& exchange_into,
                  const std::function<void()>& on_row) const;

 private:
  void Append(std::string_view condition, std::span<const Value> values);
  std::string Where() const;
  void Bind(soci::statement& statement) const;

  std::vector<std::string> conditions_;
  std::vector<Value> values_;
};

}  // namespace pacsport
