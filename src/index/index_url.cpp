// What an index URL is and how it is shown (index.h); apart from the PostgreSQL backend
// so that the configuration's checks (and its fuzzer) need no database library.
#include <string_view>

#include "index/index.h"

namespace pacsport {

bool IsPostgresUrl(const std::string& url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string IndexUrlForLog(const std::string& url) {
  std::string shown = url;
  // user:password@ in the authority
  if (const auto scheme = shown.find("://"); scheme != std::string::npos) {
    const auto authority = scheme + 3;
    const auto at = shown.find('@', authority);
    const auto end = shown.find_first_of("/?", authority);
    const auto colon = shown.find(':', authority);
    if (at != std::string::npos && (end == std::string::npos || at < end) &&
        colon != std::string::npos && colon < at) {
      shown = shown.substr(0, colon + 1) + "***" + shown.substr(at);
    }
  }
  // ?password=... among the parameters
  for (auto at = shown.find("password="); at != std::string::npos;
       at = shown.find("password=", at + 1)) {
    if (at == 0 || (shown[at - 1] != '?' && shown[at - 1] != '&')) continue;
    const auto value = at + std::string_view("password=").size();
    shown.replace(value, shown.find('&', value) - value, "***");
  }
  return shown;
}

}  // namespace pacsport
