// Orthanc's resource IDs: SHA-1 digests written as five dash-separated groups of 8
// lowercase hex digits. Checking one before it goes into a request path keeps a key
// from the index or an ID from Orthanc's answers from changing the request.
#pragma once

#include <string_view>

namespace pacsport {

inline bool IsOrthancId(std::string_view key) {
  if (key.size() != 44) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const bool dash = i % 9 == 8;
    const char c = key[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace pacsport
