#include "export/export_request.h"

#include <nlohmann/json.hpp>

#include "core/names.h"

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
    case ExportScope::kSeries:
      return "series";
  }
  return "study";
}

bool IsBatch(ExportScope scope) {
  return scope == ExportScope::kStudies || scope == ExportScope::kPatients;
}

bool IsSingleStudy(ExportScope scope) {
  return scope == ExportScope::kStudy || scope == ExportScope::kSeries;
}

std::string_view FormatName(ExportFormat format) {
  switch (format) {
    case ExportFormat::kZip:
      return "zip";
    case ExportFormat::kJson:
      return "json";
    case ExportFormat::kMedia:
      return "media";
  }
  return "zip";
}

std::optional<ExportFormat> FormatNamed(std::string_view name) {
  for (ExportFormat format : {ExportFormat::kZip, ExportFormat::kJson, ExportFormat::kMedia}) {
    if (FormatName(format) == name) return format;
  }
  return std::nullopt;
}

bool IsArchive(ExportFormat format) { return format != ExportFormat::kJson; }

Status CheckDiscScope(const ExportRequest& request) {
  if (request.options.format == ExportFormat::kMedia && request.scope == ExportScope::kAll) {
    return InvalidInput(
        "format=media is a disc for a patient, a study, a series or a batch of them, not an "
        "export of all");
  }
  return Status::Ok();
}

Status CheckExportablePatientId(std::string_view id, std::string_view parameter) {
  if (!IsValidPatientId(id)) {
    return InvalidInput(std::string(parameter) + ": a Patient ID is longer than 64 characters");
  }
  if (id.empty()) {
    return InvalidInput(std::string(parameter) +
                        ": the Patient ID is empty; studies without one belong to unrelated "
                        "patients and are exported by study");
  }
  return Status::Ok();
}

std::string AuditTarget(const ExportRequest& request) {
  if (!IsBatch(request.scope)) return request.target;
  return std::to_string(request.targets.size()) + " " + std::string(ScopeName(request.scope));
}

nlohmann::ordered_json DeidentifyJson(const deid::DeidentifyRequest& request) {
  nlohmann::ordered_json options = nlohmann::ordered_json::array();
  for (deid::Option option : deid::AllOptions()) {
    if (request.Has(option)) options.push_back(deid::OptionName(option));
  }
  return {{"profile", "basic"},
          {"project", request.project},
          {"options", options},
          {"includeBurnedIn", request.burned_in == deid::IncludeBurnedIn::kYes}};
}

std::string DescribeOptions(const ExportOptions& options) {
  nlohmann::ordered_json described = {
      {"includeImages", options.include_images == IncludeImages::kYes},
      {"format", FormatName(options.format)},
      {"compression", options.compression_level},
      {"previews", options.previews == IncludePreviews::kYes},
      {"previewSize", options.preview_max_side},
  };
  if (options.deidentify) described["deidentify"] = DeidentifyJson(*options.deidentify);
  return described.dump();
}

}  // namespace pacsport
