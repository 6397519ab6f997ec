// Whole local files in and out of memory, for the CLI commands.
// Stateless and thread-safe (distinct paths). Errors are kUnavailable with a short
// reason ("cannot open", "cannot read", "cannot write"), never an exception.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

namespace pacsport {

// The file's bytes.
Result<std::string> ReadLocalFile(const std::filesystem::path& path);

// Creates or truncates `path` and writes `bytes` to it.
Status WriteLocalFile(const std::filesystem::path& path, const std::string& bytes);

}  // namespace pacsport
