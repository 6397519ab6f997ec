// SqlIndex: single-use links to job archives sent by e-mail.
#include <soci/soci.h>

#include "index/sql_index.h"

namespace pacsport {

Status SqlIndex::AddDeliveryLink(const DeliveryLink& link) {
  return Run(Access::kWrite, "adding a delivery link", [&](soci::session& sql) -> Status {
    sql << "INSERT INTO delivery_links (token_sha256, job_id, hospital_id, created_at, "
           "expires_at, used_at) VALUES (:token, :job, :hospital, :created, :expires, '')",
        soci::use(link.token_sha256), soci::use(link.job_id), soci::use(link.hospital_id),
        soci::use(link.created_at), soci::use(link.expires_at);
    return Status::Ok();
  });
}

Result<DeliveryLinkClaim> SqlIndex::ClaimDeliveryLink(const std::string& token_sha256,
                                                      const std::string& now) {
  return Run(Access::kWrite, "using a delivery link",
             [&](soci::session& sql) -> Result<DeliveryLinkClaim> {
               DeliveryLinkClaim claim;
               DeliveryLink& link = claim.link;
               sql << "SELECT token_sha256, job_id, hospital_id, created_at, expires_at, used_at "
                      "FROM delivery_links WHERE token_sha256 = :token",
                   soci::use(token_sha256), soci::into(link.token_sha256), soci::into(link.job_id),
                   soci::into(link.hospital_id), soci::into(link.created_at),
                   soci::into(link.expires_at), soci::into(link.used_at);
               if (!sql.got_data()) return NotFound("no such link");
               if (!link.used_at.empty() || link.expires_at <= now) return claim;
               soci::statement use =
                   (sql.prepare << "UPDATE delivery_links SET used_at = :now "
                                   "WHERE token_sha256 = :token AND used_at = ''",
                    soci::use(now), soci::use(token_sha256));
               use.execute(true);
               claim.claimed = use.get_affected_rows() > 0;
               return claim;
             });
}

}  // namespace pacsport
