#include "export/export_job_request.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace pacsport {
namespace {

using json = nlohmann::json;

constexpr std::string_view kKeys[] = {"scope",       "ids",     "includeImages",
                                      "previews",    "format",  "compression",
                                      "previewSize", "changes", "deidentify"};

Result<bool> BoolField(const json& body, const char* key, bool fallback) {
  if (!body.contains(key)) return fallback;
  if (!body[key].is_boolean()) return InvalidInput(std::string(key) + " must be true or false");
  return body[key].get<bool>();
}

Result<std::int64_t> IntField(const json& body, const char* key, std::int64_t fallback,
                              std::int64_t min, std::int64_t max) {
  if (!body.contains(key)) return fallback;
  const json& value = body[key];
  if (!value.is_number_integer() || value.get<std::int64_t>() < min ||
      value.get<std::int64_t>() > max) {
    return InvalidInput(std::string(key) + " must be an integer from " + std::to_string(min) +
                        " to " + std::to_string(max));
  }
  return value.get<std::int64_t>();
}

Result<ExportScope> ScopeField(const json& body) {
  if (!body.contains("scope") || !body["scope"].is_string()) {
    return InvalidInput("scope must be study, series, patient, studies, patients or all");
  }
  const std::string name = body["scope"].get<std::string>();
  for (ExportScope scope : {ExportScope::kStudy, ExportScope::kSeries, ExportScope::kPatient,
                            ExportScope::kStudies, ExportScope::kPatients, ExportScope::kAll}) {
    if (ScopeName(scope) == name) return scope;
  }
  return InvalidInput("scope must be study, series, patient, studies, patients or all");
}

// The distinct ids in the order given.
Result<std::vector<std::string>> IdsField(const json& body) {
  std::vector<std::string> ids;
  if (!body.contains("ids")) return ids;
  if (!body["ids"].is_array()) return InvalidInput("ids must be an array of strings");
  if (body["ids"].size() > kMaxBatchTargets) {
    return InvalidInput("ids may name at most " + std::to_string(kMaxBatchTargets));
  }
  std::set<std::string> seen;
  for (const json& id : body["ids"]) {
    if (!id.is_string()) return InvalidInput("ids must be an array of strings");
    if (seen.insert(id.get<std::string>()).second) ids.push_back(id.get<std::string>());
  }
  return ids;
}

// {"after": N, "through": M} with 0 <= N <= M, for scope all only.
Result<std::optional<ChangeRange>> ChangesField(const json& body, ExportScope scope) {
  if (!body.contains("changes")) return std::optional<ChangeRange>();
  const json& changes = body["changes"];
  const auto bound = [&](const char* key) -> std::optional<std::int64_t> {
    if (!changes.is_object() || !changes.contains(key) || !changes[key].is_number_integer()) {
      return std::nullopt;
    }
    return changes[key].get<std::int64_t>();
  };
  const auto after = bound("after");
  const auto through = bound("through");
  if (!after || !through || changes.size() != 2 || *after < 0 || *through < *after) {
    return InvalidInput("changes must be {\"after\": N, \"through\": M} with 0 <= N <= M");
  }
  if (scope != ExportScope::kAll) return InvalidInput("changes apply to scope all only");
  return std::optional<ChangeRange>(ChangeRange{*after, *through});
}

// {"profile": "basic", "project": P, "options": [names], "includeBurnedIn": bool};
// profile and project required.
Result<std::optional<deid::DeidentifyRequest>> DeidentifyField(const json& body) {
  if (!body.contains("deidentify")) return std::optional<deid::DeidentifyRequest>();
  const json& asked = body["deidentify"];
  if (!asked.is_object()) return InvalidInput("deidentify must be an object");
  for (const auto& [key, value] : asked.items()) {
    if (key != "profile" && key != "project" && key != "options" && key != "includeBurnedIn") {
      return InvalidInput("unknown key in deidentify: " + key);
    }
  }
  const auto text = [&](const char* key) {
    return asked.contains(key) && asked[key].is_string() ? asked[key].get<std::string>() : "";
  };
  std::vector<std::string> options;
  if (asked.contains("options")) {
    if (!asked["options"].is_array()) return InvalidInput("deidentify options must be an array");
    for (const json& option : asked["options"]) {
      if (!option.is_string()) return InvalidInput("deidentify options must be strings");
      options.push_back(option.get<std::string>());
    }
  }
  auto burned_in = BoolField(asked, "includeBurnedIn", false);
  if (!burned_in.ok()) return burned_in.error();
  auto request =
      deid::MakeRequest(text("profile"), text("project"), options,
                        *burned_in ? deid::IncludeBurnedIn::kYes : deid::IncludeBurnedIn::kNo);
  if (!request.ok()) return request.error();
  return std::optional<deid::DeidentifyRequest>(std::move(*request));
}

}  // namespace

Result<ExportRequest> ParseJobRequest(std::string_view text, int default_compression) {
  const json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return InvalidInput("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return InvalidInput("unknown key: " + key);
    }
  }
  ExportRequest request;
  auto scope = ScopeField(body);
  if (!scope.ok()) return scope.error();
  request.scope = *scope;
  auto ids = IdsField(body);
  if (!ids.ok()) return ids.error();
  if (IsBatch(request.scope)) {
    if (ids->empty()) return InvalidInput("ids must name at least one");
    request.targets = std::move(*ids);
  } else if (request.scope == ExportScope::kAll) {
    if (!ids->empty()) return InvalidInput("ids must be empty for scope all");
  } else {
    if (ids->size() != 1) return InvalidInput("ids must name exactly one for this scope");
    request.target = ids->front();
  }

  ExportOptions& options = request.options;
  auto images = BoolField(body, "includeImages", request.scope != ExportScope::kAll);
  if (!images.ok()) return images.error();
  options.include_images = *images ? IncludeImages::kYes : IncludeImages::kNo;
  std::optional<ExportFormat> format = ExportFormat::kZip;
  if (body.contains("format")) {
    format =
        body["format"].is_string() ? FormatNamed(body["format"].get<std::string>()) : std::nullopt;
  }
  if (!format) return InvalidInput("format must be zip, json or media");
  options.format = *format;
  if (Status s = CheckDiscScope(request); !s.ok()) return s.error();
  if (*format == ExportFormat::kJson) options.include_images = IncludeImages::kNo;
  if (*format == ExportFormat::kMedia && !*images) {
    return InvalidInput("format media is a disc of the images: includeImages cannot be false");
  }
  auto level = IntField(body, "compression", default_compression, 0, 9);
  if (!level.ok()) return level.error();
  options.compression_level = static_cast<int>(*level);
  auto previews = BoolField(body, "previews", true);
  if (!previews.ok()) return previews.error();
  options.previews = *previews ? IncludePreviews::kYes : IncludePreviews::kNo;
  auto side = IntField(body, "previewSize", 0, 0, 65535);
  if (!side.ok()) return side.error();
  options.preview_max_side = static_cast<std::uint32_t>(*side);
  auto changes = ChangesField(body, request.scope);
  if (!changes.ok()) return changes.error();
  request.changes = *changes;
  auto deidentify = DeidentifyField(body);
  if (!deidentify.ok()) return deidentify.error();
  options.deidentify = std::move(*deidentify);
  return request;
}

std::string JobRequestJson(const ExportRequest& request) {
  json ids = json::array();
  if (IsBatch(request.scope)) {
    ids = request.targets;
  } else if (request.scope != ExportScope::kAll) {
    ids.push_back(request.target);
  }
  const ExportOptions& options = request.options;
  nlohmann::ordered_json out = {
      {"scope", ScopeName(request.scope)},
      {"ids", ids},
      {"includeImages", options.include_images == IncludeImages::kYes},
      {"previews", options.previews == IncludePreviews::kYes},
      {"format", FormatName(options.format)},
      {"compression", options.compression_level},
      {"previewSize", options.preview_max_side},
  };
  if (request.changes) {
    out["changes"] = {{"after", request.changes->after}, {"through", request.changes->through}};
  }
  if (options.deidentify) out["deidentify"] = DeidentifyJson(*options.deidentify);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace pacsport
