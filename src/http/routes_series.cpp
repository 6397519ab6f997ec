#include "core/names.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {

void RegisterSeriesRoutes(Router& router, const HttpServices& services) {
  router.Get(
      R"(/api/studies/([^/]+)/series)", "/api/studies/:studyUID/series",
      [&services](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
        const std::string uid = req.matches[1];
        if (!IsValidUid(uid)) {
          throw ErrorException(InvalidInput("studyUID is not a valid DICOM UID"));
        }
        auto series = services.index.ListStudySeries(principal.hospital_id, uid).ValueOrThrow();
        nlohmann::ordered_json items = nlohmann::ordered_json::array();
        for (const SeriesSummary& one : series) {
          items.push_back(
              {{"seriesInstanceUID", one.series_instance_uid},
               {"seriesNumber", one.series_number ? nlohmann::ordered_json(*one.series_number)
                                                  : nlohmann::ordered_json(nullptr)},
               {"modality", one.modality},
               {"seriesDescription", one.description},
               {"numberOfInstances", one.instances},
               {"totalBytes", one.bytes}});
        }
        SendJson(res, {{"studyInstanceUID", uid}, {"series", items}});
      });
}

}  // namespace pacsport::http
