#include "zip/portable_names.h"

#include <algorithm>

#include "core/names.h"
#include "zip/entry_name.h"

namespace pacsport::zip {
namespace {

std::string AsciiFolded(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return name;
}

}  // namespace

std::string PortableFolderName(std::string_view id) {
  std::string name = SanitizePathComponent(id);
  // Sanitizing leaves no trailing dot or space, so only a device name is left to fix.
  if (!IsPortableComponent(name)) name.insert(0, "_");
  return name;
}

std::string FolderNames::Take(std::string_view id) {
  const std::string base = PortableFolderName(id);
  std::string name = base;
  for (int n = 2; !taken_.insert(AsciiFolded(name)).second; ++n) {
    name = base + "_" + std::to_string(n);
  }
  return name;
}

}  // namespace pacsport::zip
