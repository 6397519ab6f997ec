// The API's own description, docs/openapi.json, and the JSON schemas it refers to
// (docs/schemas/*.json), embedded in the binary at build time from the source tree
// (cmake/EmbedFiles.cmake), so the server serves exactly the files in docs/.
// Internal to src/http.
#pragma once

#include <string_view>
#include <vector>

namespace pacsport::http {

struct ApiDocument {
  std::string_view path;  // relative to docs/, e.g. "openapi.json", "schemas/x.schema.json"
  std::string_view content;
};

extern const std::vector<ApiDocument> kApiDocuments;

}  // namespace pacsport::http
