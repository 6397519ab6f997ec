// JSON answers and the one error shape, {"error": {"code": "...", "message": "..."}}.
// Internal to src/http.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace pacsport::http {

void SendJson(httplib::Response& res, const nlohmann::ordered_json& body, int status = 200);
void SendError(httplib::Response& res, const Error& error);

}  // namespace pacsport::http
