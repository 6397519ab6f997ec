// The secret research projects' keys derive from ([deidentify], docs/decisions/0016),
// opened the same way by every command that de-identifies, so the server and the CLI
// give one project the same pseudonyms.
#pragma once

#include <filesystem>

#include "app/config.h"
#include "core/error.h"
#include "deid/project_keys.h"

namespace pacsport {

// The configured key, else the key file, else DATA/deidentify-key, created on first
// use. Its own key, apart from the destinations' secrets key.
Result<deid::ProjectKeys> OpenDeidentifyKeys(const DeidentifyConfig& deidentify,
                                             const std::filesystem::path& data);

}  // namespace pacsport
