// What a caller asks of a de-identified export (PS3.15 Annex E, Basic Application
// Level Confidentiality Profile): the project whose pseudonyms it receives, the
// profile's options, and whether previews of images that may show burned-in text are
// included. Values only.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::deid {

// The profile's options pacsport offers (PS3.15 Table E.1-1 columns).
enum class Option {
  kRetainLongitudinalModifiedDates,  // dates shifted by a per-patient offset
  kRetainPatientCharacteristics,     // sex, age, size, weight... kept
  kRetainDeviceIdentity,             // serial numbers, station names... kept
  kCleanDescriptors,                 // descriptions kept, cleaned of the patient's identifiers
  kRetainUids,                       // original UIDs kept (off by default)
};

enum class IncludeBurnedIn { kNo, kYes };

struct DeidentifyRequest {
  std::string project;  // names the pseudonym space; see IsValidProjectName
  std::set<Option> options;
  IncludeBurnedIn burned_in = IncludeBurnedIn::kNo;

  bool Has(Option option) const { return options.count(option) != 0; }
};

// The request's name of an option, e.g. "retain-uids".
std::string_view OptionName(Option option);
// kInvalidInput naming the unknown option.
Result<Option> ParseOption(std::string_view name);
// Every option, in the order of OptionName's documentation.
const std::vector<Option>& AllOptions();

// 1 to 64 characters of letters, digits, '.', '_' and '-'.
bool IsValidProjectName(std::string_view project);

// A request from its parts; kInvalidInput naming the part that is wrong (the profile
// must be "basic"; the project valid; each option known).
Result<DeidentifyRequest> MakeRequest(std::string_view profile, std::string_view project,
                                      const std::vector<std::string>& options,
                                      IncludeBurnedIn burned_in);

// Coded description of the method, PS3.16 CID 7050 "De-identification Method": the
// basic profile (113100) and each option applied.
struct MethodCode {
  std::string value;    // e.g. "113100"
  std::string meaning;  // e.g. "Basic Application Confidentiality Profile"
};
std::vector<MethodCode> MethodCodes(const DeidentifyRequest& request);
// DeidentificationMethod (0012,0063): a readable summary of the above, at most 64
// characters per value.
std::string MethodDescription(const DeidentifyRequest& request);

}  // namespace pacsport::deid
