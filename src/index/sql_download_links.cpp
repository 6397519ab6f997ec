// SqlIndex: browser download links (http/download_links.h), shared by every replica.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {
namespace {

// The link with that token, unless it is forgotten at `now`.
Result<std::optional<DownloadLinkRecord>> ReadLink(soci::session& sql,
                                                   const std::string& token_sha256,
                                                   const std::string& now) {
  DownloadLinkRecord link;
  std::string role_name;
  int spent = 0;
  sql << "SELECT token_sha256, username, hospital_id, hospital_name, role, request, job_id, "
         "created_at, expires_at, forget_at, spent, use_state, error_code, error_message "
         "FROM download_links WHERE token_sha256 = :token AND forget_at > :now",
      soci::use(token_sha256), soci::use(now), soci::into(link.token_sha256),
      soci::into(link.principal.username), soci::into(link.principal.hospital_id),
      soci::into(link.principal.hospital_name), soci::into(role_name), soci::into(link.request),
      soci::into(link.job_id), soci::into(link.created_at), soci::into(link.expires_at),
      soci::into(link.forget_at), soci::into(spent), soci::into(link.use_state),
      soci::into(link.error_code), soci::into(link.error_message);
  if (!sql.got_data()) return std::optional<DownloadLinkRecord>();
  const auto role = ParseRole(role_name);
  if (!role) return Internal("a download link has an unknown role in the index");
  link.principal.role = *role;
  link.spent = spent != 0;
  return std::optional<DownloadLinkRecord>(std::move(link));
}

// Marks the link spent, moving forget_at back to `forget_at` when that is sooner.
constexpr const char* kSpend =
    "UPDATE download_links SET spent = 1, "
    "forget_at = CASE WHEN forget_at < :forget1 THEN forget_at ELSE :forget2 END "
    "WHERE token_sha256 = :token";

}  // namespace

Status SqlIndex::AddDownloadLink(const DownloadLinkRecord& link) {
  const std::string role(RoleName(link.principal.role));
  const int spent = link.spent ? 1 : 0;
  return Run(Access::kWrite, "adding a download link", [&](soci::session& sql) -> Status {
    std::string added;
    sql << "INSERT INTO download_links (token_sha256, username, hospital_id, hospital_name, "
           "role, request, job_id, created_at, expires_at, forget_at, spent, use_state, "
           "error_code, error_message) VALUES (:token, :username, :hospital_id, :hospital_name, "
           ":role, :request, :job_id, :created_at, :expires_at, :forget_at, :spent, :use_state, "
           ":error_code, :error_message) ON CONFLICT (token_sha256) DO NOTHING "
           "RETURNING token_sha256",
        soci::use(link.token_sha256), soci::use(link.principal.username),
        soci::use(link.principal.hospital_id), soci::use(link.principal.hospital_name),
        soci::use(role), soci::use(link.request), soci::use(link.job_id),
        soci::use(link.created_at), soci::use(link.expires_at), soci::use(link.forget_at),
        soci::use(spent), soci::use(link.use_state), soci::use(link.error_code),
        soci::use(link.error_message), soci::into(added);
    if (!sql.got_data())
      return Error(ErrorCode::kConflict, "a download link with this token exists");
    return Status::Ok();
  });
}

Result<std::optional<DownloadLinkRecord>> SqlIndex::FindDownloadLink(
    const std::string& token_sha256, const std::string& now) {
  return Run(Access::kRead, "finding a download link",
             [&](soci::session& sql) { return ReadLink(sql, token_sha256, now); });
}

Result<std::optional<DownloadLinkRecord>> SqlIndex::RedeemDownloadLink(
    const std::string& token_sha256, const std::string& now, const std::string& forget_at) {
  return Run(Access::kWrite, "redeeming a download link",
             [&](soci::session& sql) -> Result<std::optional<DownloadLinkRecord>> {
               soci::statement spend =
                   (sql.prepare << std::string(kSpend) +
                                       " AND spent = 0 AND expires_at > :now AND forget_at > :now2",
                    soci::use(forget_at), soci::use(forget_at), soci::use(token_sha256),
                    soci::use(now), soci::use(now));
               spend.execute(true);
               if (spend.get_affected_rows() == 0) return std::optional<DownloadLinkRecord>();
               return ReadLink(sql, token_sha256, now);
             });
}

Status SqlIndex::RevokeDownloadLink(const std::string& token_sha256, const std::string& forget_at) {
  return Run(Access::kWrite, "revoking a download link", [&](soci::session& sql) -> Status {
    sql << kSpend, soci::use(forget_at), soci::use(forget_at), soci::use(token_sha256);
    return Status::Ok();
  });
}

Status SqlIndex::SetDownloadLinkUse(const std::string& token_sha256, const std::string& use_state,
                                    const std::string& error_code,
                                    const std::string& error_message) {
  return Run(Access::kWrite, "recording a download link's use", [&](soci::session& sql) -> Status {
    sql << "UPDATE download_links SET use_state = :state, error_code = :code, "
           "error_message = :message WHERE token_sha256 = :token",
        soci::use(use_state), soci::use(error_code), soci::use(error_message),
        soci::use(token_sha256);
    return Status::Ok();
  });
}

Result<std::int64_t> SqlIndex::SweepDownloadLinks(const std::string& now, std::int64_t limit) {
  return Run(Access::kWrite, "sweeping download links",
             [&](soci::session& sql) -> Result<std::int64_t> {
               soci::statement sweep =
                   (sql.prepare << "DELETE FROM download_links WHERE token_sha256 IN (SELECT "
                                   "token_sha256 FROM download_links WHERE forget_at <= :now "
                                   "ORDER BY forget_at LIMIT :limit)",
                    soci::use(now), soci::use(limit));
               sweep.execute(true);
               return static_cast<std::int64_t>(sweep.get_affected_rows());
             });
}

}  // namespace pacsport
