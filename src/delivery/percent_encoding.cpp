#include "delivery/percent_encoding.h"

#include <cctype>
#include <cstdio>

namespace pacsport::delivery {

std::string PercentEncode(std::string_view text, Slashes slashes) {
  std::string encoded;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (slashes == Slashes::kKeep && c == '/')) {
      encoded += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      encoded += hex;
    }
  }
  return encoded;
}

}  // namespace pacsport::delivery
