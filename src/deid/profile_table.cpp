#include "deid/profile_table.h"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace pacsport::deid {
namespace {

struct ProfileRow {
  std::uint16_t group;
  std::uint16_t element;
  bool repeating_group;  // 50xx, 60xx: the group's low byte matches anything
  bool any_element;      // xxxx
  const char* name;
  const char* basic;
  const char* retain_uids;
  const char* retain_device_identity;
  const char* retain_patient_characteristics;
  const char* retain_modified_dates;
  const char* clean_descriptors;
};

constexpr ProfileRow kRows[] = {
#include "deid/confidentiality_profile_table.inc"
};

Action Resolve(std::string_view code) {
  if (code.find('U') != std::string_view::npos) return Action::kNewUid;
  if (code.find('D') != std::string_view::npos) return Action::kDummy;
  if (code.find('Z') != std::string_view::npos) return Action::kEmpty;
  if (code == "K") return Action::kKeep;
  if (code == "C") return Action::kClean;
  return Action::kRemove;
}

bool Matches(const ProfileRow& row, std::uint16_t group, std::uint16_t element) {
  const bool group_matches =
      row.repeating_group ? (group & 0xFF00) == row.group : group == row.group;
  return group_matches && (row.any_element || element == row.element);
}

}  // namespace

std::optional<Action> ActionFor(std::uint16_t group, std::uint16_t element,
                                const DeidentifyRequest& request) {
  const auto row = std::find_if(std::begin(kRows), std::end(kRows),
                                [&](const ProfileRow& r) { return Matches(r, group, element); });
  if (row == std::end(kRows)) return std::nullopt;
  // Each option's column, where it acts; options never conflict on one attribute in
  // the table but for Device UID (Retain UIDs and Retain Device Identity: both K).
  const std::pair<Option, const char*> columns[] = {
      {Option::kRetainUids, row->retain_uids},
      {Option::kRetainDeviceIdentity, row->retain_device_identity},
      {Option::kRetainPatientCharacteristics, row->retain_patient_characteristics},
      {Option::kRetainLongitudinalModifiedDates, row->retain_modified_dates},
      {Option::kCleanDescriptors, row->clean_descriptors},
  };
  for (const auto& [option, code] : columns) {
    if (*code != '\0' && request.Has(option)) return Resolve(code);
  }
  return Resolve(row->basic);
}

std::size_t ProfileRowCount() { return std::size(kRows); }

}  // namespace pacsport::deid
