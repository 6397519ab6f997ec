// GET /api/health: open to anyone (load balancers, monitoring), so it tells only
// whether each source of DICOM files is reachable and how far the index lags
// behind it; never a URL, a hospital or anything of a patient. Always 200: the
// server answering is itself the news; "degraded" says some source is not.
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

nlohmann::ordered_json SourceJson(const SourceStatus& status) {
  nlohmann::ordered_json json{
      {"name", status.name}, {"kind", status.kind}, {"reachable", status.reachable}};
  if (status.kind == "local") return json;
  json["indexedChange"] = status.indexed_change ? nlohmann::json(*status.indexed_change) : nullptr;
  json["lastChange"] = status.last_change ? nlohmann::json(*status.last_change) : nullptr;
  json["lag"] = status.indexed_change && status.last_change
                    ? nlohmann::json(*status.last_change - *status.indexed_change)
                    : nullptr;
  json["lastSyncAt"] = status.last_sync_at;
  json["error"] = status.error;
  json["syncedBy"] = status.synced_by;
  return json;
}

}  // namespace

void RegisterHealthRoute(Router& router, const HttpServices& services) {
  router.Get(R"(/api/health)", "/api/health",
             [&services](const httplib::Request&, httplib::Response& res) {
               nlohmann::ordered_json sources = nlohmann::ordered_json::array();
               bool all_reachable = true;
               for (const SourceStatus& status : services.source_statuses()) {
                 all_reachable = all_reachable && status.reachable;
                 sources.push_back(SourceJson(status));
               }
               SendJson(res, {{"status", all_reachable ? "ok" : "degraded"}, {"sources", sources}});
             },
             Access::kOpen);
}

}  // namespace pacsport::http
