// Key files: one line of text holding a secret key, readable by the server's user only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pacsport::auth {

// `text` without surrounding white space, as keys are compared.
std::string TrimmedKeyText(std::string_view text);

// The file's text without surrounding white space; kUnavailable when it cannot be read.
Result<std::string> ReadKeyLine(const std::filesystem::path& path);

// Creates `path` with mode 0600 holding `line` and a newline, written whole and synced
// under a temporary name, then linked into place: a reader never sees a partial key.
// When `path` exists already (another process made it first), leaves it as it is and
// succeeds: the caller then reads that one. kUnavailable when it cannot be written.
Status CreateKeyFile(const std::filesystem::path& path, std::string_view line);

}  // namespace pacsport::auth
