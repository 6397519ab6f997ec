// SqlIndex: failed-login series (auth/login_rate_limiter.h), shared by every replica.
#include <soci/soci.h>

#include <nlohmann/json.hpp>

#include "index/sql_index.h"

namespace pacsport {
namespace {

using auth::LoginSeries;
using auth::LoginSeriesCounts;

constexpr const char* kUsername = "username";
constexpr const char* kAddress = "address";

// The series of (kind, name), its row written first so that it stays locked against
// every other writer until the transaction ends (a row lock on PostgreSQL; SQLite
// has one writer at a time). A new row is an empty series.
LoginSeries LockSeries(soci::session& sql, const std::string& kind, const std::string& name) {
  sql << "INSERT INTO login_series (kind, name, started_ms, blocked_until_ms, stale_at_ms, "
         "failures, by_counterpart) VALUES (:kind, :name, 0, 0, 0, 0, '[]') "
         "ON CONFLICT (kind, name) DO UPDATE SET failures = login_series.failures",
      soci::use(kind), soci::use(name);
  LoginSeries series;
  std::string by_counterpart;
  sql << "SELECT started_ms, blocked_until_ms, stale_at_ms, failures, by_counterpart "
         "FROM login_series WHERE kind = :kind AND name = :name",
      soci::use(kind), soci::use(name), soci::into(series.started_ms),
      soci::into(series.blocked_until_ms), soci::into(series.stale_at_ms),
      soci::into(series.failures), soci::into(by_counterpart);
  for (const auto& item : nlohmann::json::parse(by_counterpart)) {
    series.by_counterpart.emplace_back(item.at(0).get<std::string>(),
                                       item.at(1).get<std::int64_t>());
  }
  return series;
}

// Writes `series` back, or removes its row when it has no failures.
void StoreSeries(soci::session& sql, const std::string& kind, const std::string& name,
                 const LoginSeries& series) {
  if (series.failures == 0) {
    sql << "DELETE FROM login_series WHERE kind = :kind AND name = :name", soci::use(kind),
        soci::use(name);
    return;
  }
  nlohmann::json counts = nlohmann::json::array();
  for (const auto& [counterpart, failures] : series.by_counterpart) {
    counts.push_back({counterpart, failures});
  }
  const std::string by_counterpart =
      counts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  sql << "UPDATE login_series SET started_ms = :started, blocked_until_ms = :blocked, "
         "stale_at_ms = :stale, failures = :failures, by_counterpart = :counts "
         "WHERE kind = :kind AND name = :name",
      soci::use(series.started_ms), soci::use(series.blocked_until_ms),
      soci::use(series.stale_at_ms), soci::use(series.failures), soci::use(by_counterpart),
      soci::use(kind), soci::use(name);
}

}  // namespace

Status SqlIndex::ChangeLoginSeries(const std::string& username, const std::string& address,
                                   const auth::LoginSeriesChange& change) {
  return Run(Access::kWrite, "counting a login", [&](soci::session& sql) -> Status {
    // Always the username's row first, so that two calls cannot wait for each other.
    LoginSeries user = LockSeries(sql, kUsername, username);
    LoginSeries from = LockSeries(sql, kAddress, address);
    change(user, from);
    StoreSeries(sql, kUsername, username, user);
    StoreSeries(sql, kAddress, address, from);
    return Status::Ok();
  });
}

Result<std::int64_t> SqlIndex::SweepLoginSeries(std::int64_t now_ms, std::int64_t limit) {
  return Run(Access::kWrite, "sweeping login series",
             [&](soci::session& sql) -> Result<std::int64_t> {
               soci::statement sweep =
                   (sql.prepare << "DELETE FROM login_series WHERE (kind, name) IN (SELECT kind, "
                                   "name FROM login_series "
                                   "WHERE stale_at_ms <= :now ORDER BY stale_at_ms LIMIT :limit)",
                    soci::use(now_ms), soci::use(limit));
               sweep.execute(true);
               return static_cast<std::int64_t>(sweep.get_affected_rows());
             });
}

Result<LoginSeriesCounts> SqlIndex::CountLoginSeries() {
  return Run(Access::kRead, "counting login series",
             [&](soci::session& sql) -> Result<LoginSeriesCounts> {
               LoginSeriesCounts counts;
               const std::string username(kUsername);
               const std::string address(kAddress);
               sql << "SELECT COUNT(*) FROM login_series WHERE kind = :kind", soci::use(username),
                   soci::into(counts.usernames);
               sql << "SELECT COUNT(*) FROM login_series WHERE kind = :kind", soci::use(address),
                   soci::into(counts.addresses);
               return counts;
             });
}

}  // namespace pacsport
