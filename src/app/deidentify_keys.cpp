#include "app/deidentify_keys.h"

namespace pacsport {

Result<deid::ProjectKeys> OpenDeidentifyKeys(const DeidentifyConfig& deidentify,
                                             const std::filesystem::path& data) {
  if (!deidentify.key.empty()) return deid::ProjectKeys::FromHex(deidentify.key);
  const std::filesystem::path file = deidentify.key_file.empty()
                                         ? data / "deidentify-key"
                                         : std::filesystem::path(deidentify.key_file);
  return deid::ProjectKeys::LoadOrCreate(file);
}

}  // namespace pacsport
