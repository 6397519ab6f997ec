#include "export/export_request.h"

#include <nlohmann/json.hpp>

namespace pacsport {

std::string_view ScopeName(ExportScope scope) {
  switch (scope) {
    case ExportScope::kPatient:
      return "patient";
    case ExportScope::kStudy:
      return "study";
    case ExportScope::kAll:
      return "all";
    case ExportScope::kStudies:
      return "studies";
    case ExportScope::kPatients:
      return "patients";
  }
  return "study";
}

bool IsBatch(ExportScope scope) {
  return scope == ExportScope::kStudies || scope == ExportScope::kPatients;
}

std::string AuditTarget(const ExportRequest& request) {
  if (!IsBatch(request.scope)) return request.target;
  return std::to_string(request.targets.size()) + " " + std::string(ScopeName(request.scope));
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
