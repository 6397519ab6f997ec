#include "index/sql_conditions.h"

#include <soci/soci.h>

#include <stdexcept>

#include "index/name_search.h"

namespace pacsport {
namespace {

// '!' rather than a backslash: a backslash in a string literal is not portable
// (MySQL, and PostgreSQL without standard_conforming_strings, treat it as an escape).
constexpr char kLikeEscape = '!';

std::string ContainsPattern(std::string_view term) {
  std::string pattern = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == kLikeEscape) pattern += kLikeEscape;
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace

SqlConditions& SqlConditions::Add(std::string_view condition, std::initializer_list<Value> values) {
  Append(condition, {values.begin(), values.size()});
  return *this;
}

SqlConditions& SqlConditions::AddWithValues(std::string_view condition,
                                            std::span<const Value> values) {
  Append(condition, values);
  return *this;
}

SqlConditions& SqlConditions::AddContains(std::initializer_list<std::string_view> columns,
                                          std::string_view term) {
  if (term.empty()) return *this;
  std::string condition;
  for (std::string_view column : columns) {
    condition += condition.empty() ? "(" : " OR ";
    condition += "LOWER(" + std::string(column) + ") LIKE LOWER(?) ESCAPE '" + kLikeEscape + "'";
  }
  condition += ")";
  const std::vector<Value> patterns(columns.size(), ContainsPattern(term));
  Append(condition, patterns);
  return *this;
}

SqlConditions& SqlConditions::AddWords(std::string_view search, std::string_view name_key_column,
                                       std::initializer_list<std::string_view> columns) {
  const std::string escape = std::string(" ESCAPE '") + kLikeEscape + "'";
  for (const std::string& word : SearchWords(search)) {
    std::string condition = "(" + std::string(name_key_column) + " LIKE ?" + escape;
    std::vector<Value> patterns{ContainsPattern(FoldForSearch(word))};
    for (std::string_view column : columns) {
      condition += " OR LOWER(" + std::string(column) + ") LIKE LOWER(?)" + escape;
      patterns.emplace_back(ContainsPattern(word));
    }
    condition += ")";
    Append(condition, patterns);
  }
  return *this;
}

std::int64_t SqlConditions::Count(soci::session& sql, std::string_view from) const {
  std::int64_t count = 0;
  soci::statement statement(sql);
  statement.exchange(soci::into(count));
  Bind(statement);
  statement.alloc();
  statement.prepare("SELECT COUNT(*) " + std::string(from) + Where());
  statement.define_and_bind();
  statement.execute(true);
  return count;
}

void SqlConditions::ForEachRow(soci::session& sql, std::string_view select, std::string_view from,
                               std::string_view order_by, const std::optional<PageRequest>& page,
                               const std::function<void(soci::statement&)>& exchange_into,
                               const std::function<void()>& on_row) const {
  std::string query = std::string(select) + " " + std::string(from) + Where();
  if (!order_by.empty()) query += " ORDER BY " + std::string(order_by);
  soci::statement statement(sql);
  exchange_into(statement);
  Bind(statement);
  const std::int64_t limit = page ? page->limit : 0;
  const std::int64_t offset = page ? page->offset : 0;
  if (page) {
    query += " LIMIT :page_limit OFFSET :page_offset";
    statement.exchange(soci::use(limit));
    statement.exchange(soci::use(offset));
  }
  statement.alloc();
  statement.prepare(query);
  statement.define_and_bind();
  statement.execute();
  while (statement.fetch()) on_row();
}

std::string SqlConditions::Where() const {
  std::string where;
  for (const std::string& condition : conditions_) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  }
  return where;
}

void SqlConditions::Bind(soci::statement& statement) const {
  for (const Value& value : values_) {
    std::visit([&](const auto& v) { statement.exchange(soci::use(v)); }, value);
  }
}

void SqlConditions::Append(std::string_view condition, std::span<const Value> values) {
  auto value = values.begin();
  std::string sql;
  for (char c : condition) {
    if (c != '?') {
      sql += c;
      continue;
    }
    if (value == values.end()) throw std::logic_error("SqlConditions: too few values");
    sql += ":w" + std::to_string(values_.size());
    values_.push_back(*value++);
  }
  if (value != values.end()) throw std::logic_error("SqlConditions: too many values");
  conditions_.push_back(std::move(sql));
}

}  // namespace pacsport
