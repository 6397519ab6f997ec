#include "export/media_names.h"

namespace pacsport {

Result<std::string> MediaComponent(std::string_view prefix, std::int64_t number) {
  constexpr std::size_t kComponentChars = 8;
  std::string digits = std::to_string(number);
  if (prefix.size() + digits.size() > kComponentChars) {
    return InvalidInput("a disc numbers at most " +
                        std::string(kComponentChars - prefix.size(), '9') + " of its " +
                        std::string(prefix) + " folders or files");
  }
  return std::string(prefix) + std::string(kComponentChars - prefix.size() - digits.size(), '0') +
         digits;
}

Result<std::string> MediaPatientFolder(std::int64_t patient) {
  auto component = MediaComponent("P", patient);
  if (!component.ok()) return component.error();
  return std::string(kMediaDicomFolder) + "/" + *component;
}

Result<MediaStudyNames> MediaStudyNames::Make(std::int64_t patient, std::int64_t study) {
  auto patient_component = MediaComponent("P", patient);
  if (!patient_component.ok()) return patient_component.error();
  auto study_component = MediaComponent("S", study);
  if (!study_component.ok()) return study_component.error();
  const std::string relative = *patient_component + "/" + *study_component;
  MediaStudyNames names;
  names.folder_ = std::string(kMediaDicomFolder) + "/" + relative;
  names.preview_directory_ = std::string(kMediaPageFolder) + "/" + relative + "/";
  return names;
}

Result<std::string> MediaStudyNames::NextInstance(const std::string& series_uid) {
  auto found = series_.find(series_uid);
  if (found == series_.end()) {
    auto component = MediaComponent("SE", static_cast<std::int64_t>(series_.size()) + 1);
    if (!component.ok()) return component.error();
    found = series_.emplace(series_uid, Series{folder_ + "/" + *component, 0}).first;
  }
  Series& series = found->second;
  auto component = MediaComponent("IM", series.instances + 1);
  if (!component.ok()) return component.error();
  ++series.instances;
  return series.folder + "/" + *component;
}

Result<std::string> MediaPreviewName(std::int64_t frame) {
  auto component = MediaComponent("F", frame);
  if (!component.ok()) return component.error();
  return *component + ".PNG";
}

}  // namespace pacsport
