#include "http/responses.h"

namespace pacsport::http {

void SendJson(httplib::Response& res, const nlohmann::ordered_json& body, int status) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                  "application/json");
}

void SendError(httplib::Response& res, const Error& error) {
  SendJson(res, {{"error", {{"code", error.name()}, {"message", error.message()}}}},
           error.http_status());
}

}  // namespace pacsport::http
