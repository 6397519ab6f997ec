#include "export/export_request.h"

#include <nlohmann/json.hpp>

namespace pacsport {

std::string_view ScopeName(ExportScope scope) {
  switch (scope) {
    case ExportScope::kPatient: return "patient";
    case ExportScope::kStudy: return "study";
    case ExportScope::kAll: return "all";
  }
  return "study";
}

std::string DescribeOptions(const ExportOptions& options) {
  const nlohmann::ordered_json described = {
      {"includeImages", options.include_images == IncludeImages::kYes},
      {"format", options.format == ExportFormat::kZip ? "zip" : "json"},
      {"compression", options.compression_level},
      {"previews", options.previews == IncludePreviews::kYes},
      {"previewSize", options.preview_max_side},
  };
  return described.dump();
}

}  // namespace pacsport
