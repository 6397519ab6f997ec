// GET /api/openapi.json and GET /api/schemas/:name: the API's OpenAPI 3.1 description
// and the JSON schemas of the export metadata it refers to ("schemas/…", relative to
// the document, so the references resolve both over HTTP and in docs/). Public: they
// describe the API, not its data.
#include "http/api_documents.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// The embedded document at `path` (relative to docs/), served as JSON.
void SendDocument(std::string_view path, httplib::Response& res) {
  for (const ApiDocument& document : kApiDocuments) {
    if (document.path == path) {
      return res.set_content(std::string(document.content), "application/json");
    }
  }
  SendError(res, NotFound("no such schema"));
}

}  // namespace

void RegisterOpenApiRoutes(Router& router) {
  router.Get(
      R"(/api/openapi.json)", "/api/openapi.json",
      [](const httplib::Request&, httplib::Response& res) { SendDocument("openapi.json", res); },
      Access::kAnonymous);
  router.Get(R"(/api/schemas/([A-Za-z0-9._-]{1,64}))", "/api/schemas/:name",
             [](const httplib::Request& req, httplib::Response& res) {
               SendDocument("schemas/" + std::string(req.matches[1]), res);
             },
             Access::kAnonymous);
}

}  // namespace pacsport::http
