#include "deid/deidentify_request.h"

#include <algorithm>

namespace pacsport::deid {

std::string_view OptionName(Option option) {
  switch (option) {
    case Option::kRetainLongitudinalModifiedDates:
      return "retain-longitudinal-modified-dates";
    case Option::kRetainPatientCharacteristics:
      return "retain-patient-characteristics";
    case Option::kRetainDeviceIdentity:
      return "retain-device-identity";
    case Option::kCleanDescriptors:
      return "clean-descriptors";
    case Option::kRetainUids:
      return "retain-uids";
  }
  return "";
}

const std::vector<Option>& AllOptions() {
  static const std::vector<Option> all = {
      Option::kRetainLongitudinalModifiedDates, Option::kRetainPatientCharacteristics,
      Option::kRetainDeviceIdentity, Option::kCleanDescriptors, Option::kRetainUids};
  return all;
}

Result<Option> ParseOption(std::string_view name) {
  for (Option option : AllOptions()) {
    if (OptionName(option) == name) return option;
  }
  return InvalidInput("unknown de-identification option: " + std::string(name));
}

bool IsValidProjectName(std::string_view project) {
  return !project.empty() && project.size() <= 64 &&
         std::all_of(project.begin(), project.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

Result<DeidentifyRequest> MakeRequest(std::string_view profile, std::string_view project,
                                      const std::vector<std::string>& options,
                                      IncludeBurnedIn burned_in) {
  if (profile != "basic") return InvalidInput("deidentify profile must be basic");
  if (!IsValidProjectName(project)) {
    return InvalidInput("deidentify project must be 1 to 64 letters, digits, '.', '_' or '-'");
  }
  DeidentifyRequest request;
  request.project = std::string(project);
  request.burned_in = burned_in;
  for (const std::string& name : options) {
    auto option = ParseOption(name);
    if (!option.ok()) return option.error();
    request.options.insert(*option);
  }
  return request;
}

std::vector<MethodCode> MethodCodes(const DeidentifyRequest& request) {
  std::vector<MethodCode> codes = {{"113100", "Basic Application Confidentiality Profile"}};
  const std::pair<Option, MethodCode> by_option[] = {
      {Option::kRetainLongitudinalModifiedDates,
       {"113107", "Retain Longitudinal Temporal Information Modified Dates Option"}},
      {Option::kRetainPatientCharacteristics, {"113108", "Retain Patient Characteristics Option"}},
      {Option::kRetainDeviceIdentity, {"113109", "Retain Device Identity Option"}},
      {Option::kRetainUids, {"113110", "Retain UIDs Option"}},
      {Option::kCleanDescriptors, {"113105", "Clean Descriptors Option"}},
  };
  for (const auto& [option, code] : by_option) {
    if (request.Has(option)) codes.push_back(code);
  }
  return codes;
}

std::string MethodDescription(const DeidentifyRequest& request) {
  std::string text = "PS3.15 E.1 Basic Profile";
  for (const MethodCode& code : MethodCodes(request)) {
    if (code.value != "113100") text += " " + code.value;
  }
  return text;  // at most 24 + 5 * 7 characters
}

}  // namespace pacsport::deid
