#include "export/record_json.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {

void RegisterAuditRoutes(Router& router, const HttpServices& services) {
  router.Get(
      R"(/api/audit)", "/api/audit",
      [&services](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
        RequireRole(principal, {Role::kAdmin}).ThrowIfError();
        AuditQuery query;
        query.hospital_id = principal.hospital_id;
        query.username = TextParam(req, "user");
        if (const std::string outcome = TextParam(req, "outcome"); !outcome.empty()) {
          query.outcome = ParseAuditOutcome(outcome);
          if (!query.outcome) {
            throw ErrorException(
                InvalidInput("outcome must be in_progress, success, denied, failed or aborted"));
          }
        }
        query.since = TextParam(req, "since");
        query.until = TextParam(req, "until");
        query.page = PageParams(req).ValueOrThrow();
        auto page = services.index.ListAudit(query).ValueOrThrow();
        nlohmann::ordered_json records = nlohmann::ordered_json::array();
        for (const AuditRecord& record : page.items) records.push_back(AuditJson(record));
        SendJson(res, {{"records", records},
                       {"total", page.total},
                       {"offset", query.page.offset},
                       {"limit", query.page.limit}});
      });
}

}  // namespace pacsport::http
